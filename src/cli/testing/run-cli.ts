import { main } from '../main.js';

/** Captured output of one in-process CLI run. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI run still going (a long-running command): its output so far, and a way to stop it. */
export interface RunningCli {
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the next stdout text matching `pattern` (what has been written so far included). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Plays SIGTERM and resolves with the result. */
  stop(): Promise<CliRun>;
  readonly done: Promise<CliRun>;
}

/** Runs `proxima ARGV` in this process with captured output (fast tests of parsing and output). */
export async function runCli(argv: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return startCli(argv, env).done;
}

/** Starts `proxima ARGV` in this process; `stop()` plays the part of SIGTERM. */
export function startCli(argv: readonly string[], env: Record<string, string> = {}): RunningCli {
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const controller = new AbortController();
  const done = main(argv, {
    stdout: {
      write: (chunk: string) => {
        out += chunk;
        for (const w of [...waiters]) w();
      },
    },
    stderr: { write: (chunk: string) => (err += chunk) },
    env: { PROXIMA_LOG_LEVEL: 'warn', ...env },
    signal: controller.signal,
  }).then((code) => ({ code, stdout: out, stderr: err }));
  return {
    stdout: () => out,
    stderr: () => err,
    done,
    waitFor: (pattern, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(out);
          if (match === null) return;
          cleanup();
          resolve(match[0]);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `no output matching ${String(pattern)} within ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`,
            ),
          );
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    stop: () => {
      controller.abort();
      return done;
    },
  };
}
