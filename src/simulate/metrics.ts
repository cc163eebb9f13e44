import type { ProximaError } from '../core/errors.js';

/** What the callers of one zone saw. */
export interface ZoneOutcome {
  calls: number;
  errors: number;
  attempts: number;
  crossZone: number;
}

/** The numbers of one run, over calls started inside the measurement window. */
export interface MetricsSummary {
  readonly calls: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly errors: number;
  /** Error codes of failed calls, with counts. */
  readonly errorCodes: Readonly<Record<string, number>>;
  readonly attempts: number;
  /** Attempts that did not succeed (retried or not). */
  readonly failedAttempts: number;
  /** Share of attempts served outside the caller's zone. */
  readonly crossZoneShare: number;
  /** Share of attempts served outside the caller's region. */
  readonly crossRegionShare: number;
  readonly byCallerZone: Readonly<Record<string, ZoneOutcome & { crossZoneShare: number }>>;
}

/**
 * Collects call and attempt outcomes. Only calls that start inside the measurement window count
 * (their attempts too, even after the window ends), so warm-up and the drain at the end are out.
 */
export class Metrics {
  private latencies: number[] = [];
  private calls = 0;
  private errors = 0;
  private attempts = 0;
  private failedAttempts = 0;
  private crossZone = 0;
  private crossRegion = 0;
  private readonly errorCodes = new Map<string, number>();
  private readonly zones = new Map<string, ZoneOutcome>();
  private readonly byInstance = new Map<string, number>();

  /** Attempts sent to instance `id`. */
  attemptsOn(id: string): number {
    return this.byInstance.get(id) ?? 0;
  }

  /** An attempt from a caller in `fromZone` went to instance `id` in `toZone`. */
  attempt(fromZone: string, id: string, toZone: string, crossRegion: boolean): void {
    this.attempts++;
    this.byInstance.set(id, (this.byInstance.get(id) ?? 0) + 1);
    const zone = this.zone(fromZone);
    zone.attempts++;
    if (fromZone !== toZone) {
      this.crossZone++;
      zone.crossZone++;
    }
    if (crossRegion) this.crossRegion++;
  }

  /** An attempt ended without success. */
  attemptFailed(): void {
    this.failedAttempts++;
  }

  succeeded(fromZone: string, latencyMs: number): void {
    this.calls++;
    this.zone(fromZone).calls++;
    this.latencies.push(latencyMs);
  }

  failed(fromZone: string, error: ProximaError): void {
    this.calls++;
    this.errors++;
    const zone = this.zone(fromZone);
    zone.calls++;
    zone.errors++;
    this.errorCodes.set(error.code, (this.errorCodes.get(error.code) ?? 0) + 1);
  }

  summary(): MetricsSummary {
    const sorted = Float64Array.from(this.latencies).sort();
    const byCallerZone: Record<string, ZoneOutcome & { crossZoneShare: number }> = {};
    for (const [name, z] of [...this.zones].sort(([a], [b]) => a.localeCompare(b))) {
      byCallerZone[name] = { ...z, crossZoneShare: z.attempts > 0 ? z.crossZone / z.attempts : 0 };
    }
    return {
      calls: this.calls,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      meanMs: sorted.length > 0 ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0,
      errors: this.errors,
      errorCodes: Object.fromEntries([...this.errorCodes].sort(([a], [b]) => a.localeCompare(b))),
      attempts: this.attempts,
      failedAttempts: this.failedAttempts,
      crossZoneShare: this.attempts > 0 ? this.crossZone / this.attempts : 0,
      crossRegionShare: this.attempts > 0 ? this.crossRegion / this.attempts : 0,
      byCallerZone,
    };
  }

  private zone(name: string): ZoneOutcome {
    let z = this.zones.get(name);
    if (z === undefined) {
      z = { calls: 0, errors: 0, attempts: 0, crossZone: 0 };
      this.zones.set(name, z);
    }
    return z;
  }
}

/** The `q` quantile of ascending `sorted` values (nearest rank); 0 when empty. */
export function quantile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const rank = Math.min(n, Math.max(1, Math.ceil(q * n)));
  return sorted[rank - 1]!;
}
