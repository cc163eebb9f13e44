import type { Logger } from '../core/logger.js';
import type { CommandLine } from '../core/command-line/parse.js';
import type { FlagSpecs, PositionalSpec } from '../core/command-line/flags.js';

/** Where a command writes: data to `stdout`, messages to `stderr` (logs go through `logger`). */
export interface Output {
  write(chunk: string): unknown;
}

/** What a running command gets besides its arguments. */
export interface CommandContext {
  readonly stdout: Output;
  readonly stderr: Output;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT/SIGTERM: long-running commands shut down cleanly when it fires. */
  readonly signal: AbortSignal;
  /** pino, writing JSON lines to stderr at `--log-level`. */
  readonly logger: Logger;
}

/**
 * One CLI command. Its flags are declared, not hand-parsed; `run` returns the exit code. Throwing
 * INVALID_ARGUMENT whose `field` names a flag means a usage error (exit 2); anything else is a
 * failure (exit 1).
 */
export interface Command<S extends FlagSpecs = FlagSpecs> {
  /** The synopsis after `proxima NAME`, e.g. `SERVICE [--json]`. */
  readonly usage: string;
  /** A paragraph for `--help`: what the command does and what it prints. */
  readonly description: string;
  readonly flags: S;
  readonly positionals: readonly PositionalSpec[];
  run(line: CommandLine<S>, context: CommandContext): Promise<number>;
}

/** Declares a command with its flag types inferred from `flags`. */
export function defineCommand<const S extends FlagSpecs>(command: Command<S>): Command<S> {
  return command;
}
