import type { RoutingTable } from '../routing/explain.js';
import type { TrafficEndpoint, TrafficReport } from '../dashboard/traffic.js';

/** One window of the load client, as it prints it for `proxima demo` (a JSON line per window). */
export interface LoadWindow {
  readonly event: 'stats';
  /** Calls completed in the window (successes + failures). */
  readonly calls: number;
  readonly errors: number;
  /** Failed calls by error code. */
  readonly errorCodes: Readonly<Record<string, number>>;
  /** Successful calls by the zone (`region/zone`) of the instance that answered. */
  readonly byZone: Readonly<Record<string, number>>;
  /** The same window as the dashboard shows it. */
  readonly report: TrafficReport;
}

/** The value at quantile `q` of sorted samples (nearest rank); 0 without samples. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/**
 * Counts one window of calls: latencies, errors, and which zone and endpoint answered. `take`
 * turns the window into a {@link LoadWindow} (adding the routing table's view of every endpoint)
 * and starts the next one.
 */
export class LoadStats {
  private latencies: number[] = [];
  private errors = 0;
  private errorCodes = new Map<string, number>();
  private byZone = new Map<string, number>();
  private byEndpoint = new Map<string, number>();
  /** Endpoint id → zone, learned from answers and routing tables (DRAINING ones leave the table). */
  private readonly zoneOf = new Map<string, string>();

  constructor(
    private readonly reporter: string,
    private readonly service: string,
    private readonly caller: string,
  ) {}

  success(zone: string, endpoint: string, latencyMs: number): void {
    this.latencies.push(latencyMs);
    this.byZone.set(zone, (this.byZone.get(zone) ?? 0) + 1);
    this.byEndpoint.set(endpoint, (this.byEndpoint.get(endpoint) ?? 0) + 1);
    this.zoneOf.set(endpoint, zone);
  }

  failure(code: string): void {
    this.errors += 1;
    this.errorCodes.set(code, (this.errorCodes.get(code) ?? 0) + 1);
  }

  take(windowMs: number, table: RoutingTable | undefined, phase?: string): LoadWindow {
    const seconds = Math.max(windowMs, 1) / 1000;
    const sorted = this.latencies.sort((a, b) => a - b);
    const calls = sorted.length + this.errors;
    const report: TrafficReport = {
      reporter: this.reporter,
      service: this.service,
      caller: this.caller,
      windowMs,
      callsPerSec: round(calls / seconds),
      errorsPerSec: round(this.errors / seconds),
      p50Ms: round(quantile(sorted, 0.5), 3),
      p99Ms: round(quantile(sorted, 0.99), 3),
      ...(phase === undefined ? {} : { phase }),
      matrix: [...this.byZone].map(([to, n]) => ({ from: this.caller, to, callsPerSec: round(n / seconds) })),
      endpoints: this.endpoints(table, seconds),
    };
    const window: LoadWindow = {
      event: 'stats',
      calls,
      errors: this.errors,
      errorCodes: Object.fromEntries(this.errorCodes),
      byZone: Object.fromEntries(this.byZone),
      report,
    };
    this.latencies = [];
    this.errors = 0;
    this.errorCodes = new Map();
    this.byZone = new Map();
    this.byEndpoint = new Map();
    return window;
  }

  private endpoints(table: RoutingTable | undefined, seconds: number): TrafficEndpoint[] {
    if (table === undefined) return [];
    const rows: TrafficEndpoint[] = [];
    for (const route of table.routes) {
      for (const e of route.endpoints) {
        this.zoneOf.set(e.id, e.locality);
        rows.push({
          id: e.id,
          locality: e.locality,
          status: e.status,
          available: e.available,
          callsPerSec: round((this.byEndpoint.get(e.id) ?? 0) / seconds),
          ...(e.successes + e.failures > 0 ? { ewmaMs: e.ewmaMs } : {}),
          ejected: e.ejected !== undefined,
          ...(e.ejected === undefined ? {} : { ejectedForMs: e.ejected.forMs, reason: e.ejected.reason }),
          breaker: e.breaker,
        });
      }
    }
    for (const x of table.excluded) {
      if (rows.some((r) => r.id === x.id)) continue;
      rows.push({
        id: x.id,
        locality: this.zoneOf.get(x.id) ?? '?',
        status: x.reason.split(':')[0] ?? x.reason,
        available: false,
        callsPerSec: round((this.byEndpoint.get(x.id) ?? 0) / seconds),
        ejected: false,
        reason: x.reason,
        breaker: 'off',
      });
    }
    return rows;
  }
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
