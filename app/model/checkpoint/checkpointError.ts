// The one error type every checkpoint parser throws: it names the file and the problem, so the CLI,
// the API and the importer can show it as is. Raw TypeError/RangeError never leave the parsers.

import type { FileHandle } from 'node:fs/promises';

export class CheckpointFormatError extends Error {
  /** True when this wraps an unexpected exception (a parser bug), not a diagnosed problem. */
  readonly internal: boolean;
  constructor(
    readonly file: string,
    readonly problem: string,
    opts: { message?: string; internal?: boolean } = {},
  ) {
    super(opts.message ?? `${file}: ${problem}`);
    this.name = 'CheckpointFormatError';
    this.internal = opts.internal ?? false;
  }
}

/**
 * The pickle references a global outside the state-dict allow-list. Nothing was run — the parser
 * never executes globals — but Python's torch.load (without weights_only) would call it, so the
 * user must be told the file is not a plain state dict, and which global it names.
 */
export class CheckpointRefusedError extends CheckpointFormatError {
  constructor(
    file: string,
    readonly global: string,
    readonly dangerous: boolean,
  ) {
    const alias = osAlias(global);
    const what = alias ? `${alias} (pickled as ${global})` : global;
    const why = dangerous
      ? 'which can run code when the file is loaded in Python; treat the file as hostile (nothing was run here)'
      : 'which is not one of the globals a PyTorch state dict of tensors uses (storages, _rebuild_tensor_v2, _rebuild_parameter, OrderedDict); re-save only the state dict (torch.save(model.state_dict(), path)) to import it';
    super(file, `it calls ${what}, ${why}`, { message: `refusing ${file}: it calls ${what}, ${why}` });
    this.name = 'CheckpointRefusedError';
  }
}

/** os.system pickles as posix.system (nt.system on Windows): name it the way users wrote it. */
function osAlias(global: string): string | null {
  const m = /^(posix|nt)\.(.+)$/.exec(global);
  return m ? `os.${m[2]}` : null;
}

/**
 * Last-resort conversion of an unexpected exception (a parser bug) into our error type, marked
 * `internal` so the fuzz suite can still count it as a failure while users get a clean message.
 */
export function asCheckpointError(file: string, err: unknown): CheckpointFormatError {
  if (err instanceof CheckpointFormatError) return err;
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : typeof err;
  return new CheckpointFormatError(file, `could not be read (${detail}): the file is corrupt or uses a layout this reader does not know`, { internal: true });
}

/** A tensor or entry name as messages show it: names come from the file and may be megabytes long. */
export function clip(name: string): string {
  return name.length > 200 ? `${name.slice(0, 200)}…` : name;
}

/** What every checkpoint file reader shares: the file it reads, its handle, and failing with its name. */
export abstract class CheckpointFileReader {
  constructor(
    readonly file: string,
    protected readonly fh: FileHandle,
  ) {}

  protected fail(problem: string): never {
    throw new CheckpointFormatError(this.file, problem);
  }
}
