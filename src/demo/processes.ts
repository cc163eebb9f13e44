import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ProximaError } from '../core/errors.js';
import { Emitter, type Event } from '../core/event.js';

/**
 * The file of a sibling entry module (`instance-main`, `load-main`): `.ts` when the demo runs from
 * source through tsx, `.js` when it runs from the build.
 */
export function entryPath(name: string): string {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./${name}${extension}`, import.meta.url));
}

/** One child process of the demo. Its stdin stays open: closing it tells the child to leave. */
export class DemoChild {
  readonly pid: number;
  /** Resolves when the process is gone (its exit was reaped). */
  readonly exited: Promise<void>;
  private readonly lines = new Emitter<string>();
  /** Every stdout line. */
  readonly onLine: Event<string> = this.lines.event;
  /** The last lines of stderr, for error messages. */
  readonly stderrTail: string[] = [];
  private alive = true;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    if (child.pid === undefined) throw new ProximaError('UNAVAILABLE', `${name}: could not start`);
    this.pid = child.pid;
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        this.alive = false;
        resolve();
      }),
    );
    child.stdin?.on('error', () => undefined); // writes to a child that just died
    if (child.stdout) createInterface({ input: child.stdout }).on('line', (l) => this.lines.emit(l));
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        this.stderrTail.push(line);
        if (this.stderrTail.length > 20) this.stderrTail.shift();
      });
    }
  }

  get isAlive(): boolean {
    return this.alive;
  }

  /** Writes one line to the child's stdin (ignored once it is gone). */
  send(line: string): void {
    if (this.alive && this.child.stdin?.writable)
      this.child.stdin.write(line.endsWith('\n') ? line : `${line}\n`);
  }

  /** Sends a signal by PID (no-op once gone). */
  signal(signal: NodeJS.Signals): void {
    if (!this.alive) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Resolves with the first stdout line parsed as a JSON object with `event === name`. */
  waitForEvent(name: string, timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(timeoutError()), timeoutMs);
      const finish = (result: Record<string, unknown> | Error): void => {
        clearTimeout(timer);
        sub[Symbol.dispose]();
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const timeoutError = (): Error =>
        new ProximaError(
          'DEADLINE_EXCEEDED',
          `${this.name}: not ready within ${timeoutMs} ms${this.stderrTail.length ? `:\n${this.stderrTail.join('\n')}` : ''}`,
        );
      const sub = this.onLine((line) => {
        const parsed = parseJsonLine(line);
        if (parsed?.event === name) finish(parsed);
      });
      void this.exited.then(() =>
        finish(
          new ProximaError(
            'UNAVAILABLE',
            `${this.name} exited before "${name}":\n${this.stderrTail.join('\n')}`,
          ),
        ),
      );
    });
  }

  /** Closes stdin and sends SIGTERM; SIGKILL after `graceMs`. Resolves once the process is gone. */
  async stop(graceMs: number): Promise<void> {
    if (!this.alive) return;
    this.child.stdin?.end();
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Parses a JSON-object line; undefined for anything else. */
export function parseJsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every process the demo starts. Children run this same Node with the same flags (so under tsx
 * they run from source), have their stdin piped (its end tells them to exit even if the demo is
 * killed), and are all stopped by {@link DemoProcesses.stopAll}.
 */
export class DemoProcesses {
  private readonly children = new Set<DemoChild>();
  /** Every PID ever started (for the final check that none is left). */
  readonly started: number[] = [];

  spawn(name: string, entry: string, args: readonly string[]): DemoChild {
    const child = spawn(process.execPath, [...process.execArgv, entryPath(entry), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PROXIMA_LOG_LEVEL: 'warn' },
    });
    const owned = new DemoChild(name, child);
    this.children.add(owned);
    this.started.push(owned.pid);
    void owned.exited.then(() => this.children.delete(owned));
    return owned;
  }

  get running(): number {
    return this.children.size;
  }

  /** Stops every live child (SIGTERM, then SIGKILL after `graceMs`) and waits for all exits. */
  async stopAll(graceMs = 3_000): Promise<void> {
    await Promise.all([...this.children].map((c) => c.stop(graceMs)));
  }
}
