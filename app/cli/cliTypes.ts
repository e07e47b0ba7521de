// The contract every `pasam` sub-command implements.
export interface CliIO {
  out(line: string): void;
  err(line: string): void;
}

export interface CliCommand {
  name: string;
  /** Full help text printed by `pasam <name> --help`. */
  usage: string;
  /** Returns the process exit code: 0 ok, 1 failed. Throw UsageError for bad usage (exit 2). */
  run(argv: string[], io: CliIO): Promise<number>;
}

/** Bad usage: unknown option, missing argument. The CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
