import { request } from 'node:http';
import { quantile } from './load.js';

/** One probe of the registry: when it started, how long it took, whether it failed. */
interface ProbeSample {
  readonly at: number;
  readonly ms: number;
  readonly failed: boolean;
}

/** What the probe saw in one window. */
export interface ProbeSummary {
  readonly probes: number;
  readonly failed: number;
  readonly p99Ms: number;
}

/**
 * A real client of the registry server while it is attacked: every `everyMs` it lists the fleet's
 * service on a NEW connection (a registrar that restarts, a caller that starts, open connections
 * anew), from 127.0.0.1, and keeps latency and outcome. A refused connection, a reset, a non-200
 * answer or no answer within `ceilingMs` is a failure.
 */
export class RegistryProbe {
  private readonly samples: ProbeSample[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  readonly firstErrors: string[] = [];

  constructor(
    private readonly url: string,
    private readonly service: string,
    private readonly everyMs = 50,
    private readonly ceilingMs = 10_000,
  ) {}

  start(): this {
    this.timer = setInterval(() => this.probe(), this.everyMs);
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
  }

  /** Probes that started in [from, to). */
  summary(from: number, to = Number.POSITIVE_INFINITY): ProbeSummary {
    const window = this.samples.filter((s) => s.at >= from && s.at < to);
    return {
      probes: window.length,
      failed: window.filter((s) => s.failed).length,
      p99Ms: quantile(
        window.map((s) => s.ms),
        0.99,
      ),
    };
  }

  /** From `from` to the end of the last probe that started after it and failed; 0 for none. */
  lastFailureEnd(from: number): number {
    let last = 0;
    for (const s of this.samples) if (s.failed && s.at >= from) last = Math.max(last, s.at + s.ms - from);
    return last;
  }

  private probe(): void {
    const at = performance.now();
    const done = new Promise<void>((resolve) => {
      let settled = false;
      const finish = (failed: boolean, why?: string): void => {
        if (settled) return;
        settled = true;
        this.samples.push({ at, ms: performance.now() - at, failed });
        if (why !== undefined && this.firstErrors.length < 5) this.firstErrors.push(why);
        resolve();
      };
      const req = request(
        `${this.url}/v1/services/${encodeURIComponent(this.service)}`,
        { agent: false, timeout: this.ceilingMs },
        (res) => {
          res.resume();
          res.once('end', () =>
            res.statusCode === 200 ? finish(false) : finish(true, `registry answered ${res.statusCode}`),
          );
          res.once('error', (error) => finish(true, error.message));
        },
      );
      req.once('timeout', () => req.destroy(new Error(`no answer within ${this.ceilingMs} ms`)));
      req.once('error', (error) => finish(true, error.message));
      req.end();
    });
    const tracked = done.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}
