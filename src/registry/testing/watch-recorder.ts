import type { Registry, WatchEvent, WatchOptions } from '../registry.js';

/**
 * Runs one `registry.watch()` in the background and keeps every event, so a test can wait for
 * the events it expects (with a real-time guard) and then compare the whole sequence. The watch is
 * ended by {@link WatchRecorder.stop}, which aborts its signal and waits for the iteration to end.
 *
 * @example
 * ```ts
 * const w = WatchRecorder.start(registry, 'users');
 * await w.waitFor((events) => events.some((e) => e.type === 'delete'), 'the delete');
 * await w.stop();
 * ```
 */
export class WatchRecorder {
  readonly events: WatchEvent[] = [];
  /** Resolves when the iteration has ended; never rejects (see {@link WatchRecorder.error}). */
  readonly done: Promise<void>;
  /** What the iteration threw, if it ended by throwing. */
  error: unknown = undefined;
  ended = false;
  private readonly controller = new AbortController();
  private waiters = new Set<() => void>();

  private constructor(registry: Registry, service: string, options: Omit<WatchOptions, 'signal'>) {
    this.done = this.run(registry, service, options);
  }

  static start(
    registry: Registry,
    service: string,
    options: Omit<WatchOptions, 'signal'> = {},
  ): WatchRecorder {
    return new WatchRecorder(registry, service, options);
  }

  /** Waits until `predicate(events)` holds or the iteration ends; fails after `timeoutMs` of real time. */
  async waitFor(
    predicate: (events: readonly WatchEvent[]) => boolean,
    what: string,
    timeoutMs = 15_000,
  ): Promise<void> {
    if (predicate(this.events)) return;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (predicate(this.events)) {
          finish();
          resolve();
        } else if (this.ended) {
          finish();
          reject(new Error(`watch ended before ${what}: ${this.describe()} error=${String(this.error)}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${what} within ${timeoutMs} ms; events so far: ${this.describe()}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Waits until at least `count` events have arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<void> {
    return this.waitFor((events) => events.length >= count, `${count} events`, timeoutMs);
  }

  /** Aborts the watch and waits (bounded) for its iteration to end. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.controller.abort();
    await this.waitForEnd(timeoutMs);
  }

  /** Waits (bounded) for the iteration to end by itself, without aborting it. */
  async waitForEnd(timeoutMs = 15_000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`watch did not end within ${timeoutMs} ms; events: ${this.describe()}`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A compact text form of the events, for failure messages. */
  describe(): string {
    return this.events
      .map((e) =>
        e.type === 'reset'
          ? `reset@${e.revision}[${e.instances.map((i) => i.id).join(',')}]`
          : e.type === 'upsert'
            ? `upsert@${e.revision}(${e.instance.id}:${e.instance.status})`
            : `delete@${e.revision}(${e.id})`,
      )
      .join(' ');
  }

  private async run(
    registry: Registry,
    service: string,
    options: Omit<WatchOptions, 'signal'>,
  ): Promise<void> {
    try {
      for await (const event of registry.watch(service, { ...options, signal: this.controller.signal })) {
        this.events.push(event);
        this.notify();
      }
    } catch (error) {
      this.error = error;
    } finally {
      this.ended = true;
      this.notify();
    }
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
