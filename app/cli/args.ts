// Thin wrapper over node:util parseArgs that turns its errors into UsageError.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './cliTypes.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedCommandArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined> & { help?: boolean; json?: boolean };
  positionals: string[];
}

export function parseCommandArgs(argv: string[], options: Options, positionals: { min: number; max: number }): ParsedCommandArgs {
  let parsed: ParsedCommandArgs;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true }) as ParsedCommandArgs;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const n = parsed.positionals.length;
  if (!parsed.values.help && (n < positionals.min || n > positionals.max)) {
    throw new UsageError(n < positionals.min ? 'missing argument' : `unexpected argument '${parsed.positionals[positionals.max]}'`);
  }
  return parsed;
}

export function parseIntOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got '${value}'`);
  return n;
}

/** The string value of an option, or undefined; throws UsageError if it was given twice. */
export function stringOption(values: ParsedCommandArgs['values'], name: string): string | undefined {
  const v = values[name];
  if (v === undefined || typeof v === 'string') return v;
  throw new UsageError(`--${name} takes one value`);
}
