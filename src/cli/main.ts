import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { isProximaError, toProximaError } from '../core/errors.js';
import { onShutdownSignals } from '../core/signals.js';
import { parseCommandLine } from '../core/command-line/parse.js';
import type { CommandContext, Output } from './command.js';
import { COMMANDS } from './commands.js';
import { renderCommandHelp, renderMainHelp } from './help.js';
import { parseLogLevel } from '../core/command-line/values.js';

/** Exit codes: 0 done, 1 failed, 2 usage error (bad flag, bad value, unknown command). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Where `main` reads and writes; tests pass their own, the real CLI uses the process. */
export interface CliIo {
  readonly stdout: Output;
  readonly stderr: Output;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Replaces SIGINT/SIGTERM as the shutdown trigger. */
  readonly signal: AbortSignal;
}

/**
 * The `proxima` CLI: runs one command and resolves with the exit code. Data goes to stdout, logs
 * (pino JSON) and errors to stderr.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['ls', 'users', '--json']);
 * ```
 */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const [name, ...rest] = argv;

  if (name === undefined) {
    stderr.write(renderMainHelp(COMMANDS));
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    stdout.write(renderMainHelp(COMMANDS));
    return EXIT_OK;
  }
  if (name === 'help') return main([rest[0] as string, '--help'], io);
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (entry === undefined) {
    stderr.write(`proxima: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
    stderr.write("Run 'proxima --help' for usage.\n");
    return EXIT_USAGE;
  }

  const command = await entry.load();
  const usageError = (error: unknown): number => {
    stderr.write(`proxima ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    stderr.write(`Run 'proxima ${name} --help' for usage.\n`);
    return EXIT_USAGE;
  };
  let line;
  let level;
  try {
    line = parseCommandLine(command.flags, command.positionals, rest);
    if (line.help) {
      stdout.write(renderCommandHelp(name, entry.summary, command));
      return EXIT_OK;
    }
    const levelFlag = line.flags['log-level'];
    level =
      typeof levelFlag === 'string'
        ? parseLogLevel(levelFlag, '--log-level')
        : parseLogLevel(env.PROXIMA_LOG_LEVEL ?? 'info', 'PROXIMA_LOG_LEVEL');
  } catch (error) {
    return usageError(error);
  }

  // The command shuts itself down when the signal aborts; disposing (below) ends the hook.
  const shutdown =
    io.signal === undefined
      ? onShutdownSignals(undefined, { onForce: (m) => stderr.write(`${m}\n`) })
      : undefined;
  const context: CommandContext = {
    stdout,
    stderr,
    env,
    signal: io.signal ?? (shutdown as { signal: AbortSignal }).signal,
    logger: pino({ name: `proxima-${name}`, level }, { write: (chunk: string) => stderr.write(chunk) }),
  };
  try {
    return await command.run(line, context);
  } catch (thrown) {
    if (isProximaError(thrown) && thrown.code === 'INVALID_ARGUMENT') return usageError(thrown);
    const error = toProximaError(thrown);
    stderr.write(`proxima ${name}: ${error.message} (${error.code})\n`);
    return EXIT_FAILURE;
  } finally {
    shutdown?.[Symbol.dispose]();
  }
}

/** True when this module is the script node was started with (`node --import tsx src/cli/main.ts`). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `proxima: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = EXIT_FAILURE;
    },
  );
}
