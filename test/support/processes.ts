import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/**
 * A child process owned by a test. Lines of stdout/stderr are kept; helpers wait for lines and
 * for exit. Ended by PID; "dead" is judged by the exit event or `ps -o stat=` (zombies linger here
 * because PID 1 reaps slowly), never by `kill -0`.
 */
export class OwnedProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];
  private exitedFlag = false;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitedFlag = true;
        resolve({ code, signal });
      });
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name}: not started`);
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitedFlag;
  }

  /** Resolves with the first line (already seen or future) matching `pattern`. */
  waitForLine(pattern: RegExp | string, timeoutMs = 15_000): Promise<string> {
    const test = (line: string): boolean =>
      typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line);
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `${this.name}: no line matching ${String(pattern)} within ${timeoutMs} ms. Output:\n${this.lines.slice(-30).join('\n')}`,
          ),
        );
      }, timeoutMs);
      const waiter = {
        test,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Sends a signal by PID (no-op once exited). */
  signal(sig: NodeJS.Signals): void {
    if (this.exitedFlag || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, sig);
    } catch {
      // already gone
    }
  }

  /** SIGKILL, then wait for the exit event. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, wait up to `graceMs` for exit, then SIGKILL. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.exitedFlag) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private onLine(line: string): void {
    this.lines.push(line);
    if (process.env.PROXIMA_TEST_VERBOSE) process.stderr.write(`[${this.name}] ${line}\n`);
    const ready = this.waiters.filter((w) => w.test(line));
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(line);
  }
}

/** Owns every process a test file starts, so `afterEach`/`afterAll` can end them all. */
export class ProcessGroup {
  private readonly owned: OwnedProcess[] = [];

  start(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): OwnedProcess {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const owned = new OwnedProcess(name, child);
    this.owned.push(owned);
    return owned;
  }

  /** Runs the Proxima CLI from source (`node --import tsx src/cli/main.ts …`). */
  proxima(name: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): OwnedProcess {
    return this.start(name, process.execPath, ['--import', 'tsx', CLI, ...args], env);
  }

  /** SIGKILLs everything still running and waits for the exits. */
  async killAll(): Promise<void> {
    await Promise.all(this.owned.map((p) => p.kill()));
    this.owned.length = 0;
  }
}

/** Process state from `ps -o stat=` ('' when the PID is gone). 'Z' means a zombie: dead. */
export function processState(pid: number): string {
  try {
    return execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** True when the PID is gone or a zombie. */
export function isDead(pid: number): boolean {
  const state = processState(pid);
  return state === '' || state.startsWith('Z');
}

/** Polls `predicate` until true or `timeoutMs` passes (for observing other processes, not for our own logic). */
export async function eventually<T>(
  predicate: () => T | Promise<T>,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `eventually: condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
