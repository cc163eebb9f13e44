import { toProximaError } from '../../src/core/errors.js';
import { eventually } from '../support/processes.js';

/** Calls per instance id, and failures by code, over some window of a load run. */
export interface LoadCounts {
  readonly ok: number;
  readonly byInstance: ReadonlyMap<string, number>;
  readonly failed: number;
  readonly failures: ReadonlyMap<string, number>;
}

/**
 * Open-loop load: `perTick` calls every `tickMs` (2 000 calls/s by default), whatever the answers
 * do, capped at `maxInFlight` so a stalled target cannot make the test unbounded (skipped calls are
 * counted, and tests assert there were none). Counts are cumulative; `counts()` reads them.
 */
export class SteadyLoad {
  private readonly byInstance = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private ok = 0;
  private failed = 0;
  /** Ticks that found `maxInFlight` calls still running and sent nothing more. */
  skipped = 0;
  readonly firstErrors: string[] = [];

  constructor(
    private readonly call: () => Promise<{ id: string }>,
    private readonly options: { tickMs?: number; perTick?: number; maxInFlight?: number } = {},
  ) {}

  start(): this {
    const perTick = this.options.perTick ?? 20;
    const max = this.options.maxInFlight ?? 1_000;
    this.timer = setInterval(() => {
      for (let i = 0; i < perTick; i++) {
        if (this.inFlight.size >= max) {
          this.skipped++;
          return;
        }
        this.send();
      }
    }, this.options.tickMs ?? 10);
    return this;
  }

  counts(): LoadCounts {
    return {
      ok: this.ok,
      byInstance: new Map(this.byInstance),
      failed: this.failed,
      failures: new Map(this.failures),
    };
  }

  /**
   * Waits (up to a generous ceiling) until at least `n` calls have answered since `since` (or since
   * the start): a count of calls to wait for, not a rate the machine must reach in a fixed time.
   */
  async answered(n: number, since?: LoadCounts, timeoutMs = 60_000): Promise<void> {
    const base = since?.ok ?? 0;
    await eventually(() => this.ok - base >= n, timeoutMs);
  }

  /** Stops sending and waits for the calls in flight. */
  async stop(): Promise<LoadCounts> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
    return this.counts();
  }

  private send(): void {
    const done = this.call().then(
      ({ id }) => {
        this.ok++;
        this.byInstance.set(id, (this.byInstance.get(id) ?? 0) + 1);
      },
      (thrown: unknown) => {
        const error = toProximaError(thrown);
        this.failed++;
        this.failures.set(error.code, (this.failures.get(error.code) ?? 0) + 1);
        if (this.firstErrors.length < 5) this.firstErrors.push(`${error.code}: ${error.message}`);
      },
    );
    const tracked = done.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}

/** `after − before`, per key. */
export function delta(after: LoadCounts, before: LoadCounts): LoadCounts {
  const byInstance = new Map<string, number>();
  for (const [id, n] of after.byInstance) byInstance.set(id, n - (before.byInstance.get(id) ?? 0));
  const failures = new Map<string, number>();
  for (const [code, n] of after.failures) failures.set(code, n - (before.failures.get(code) ?? 0));
  return { ok: after.ok - before.ok, byInstance, failed: after.failed - before.failed, failures };
}
