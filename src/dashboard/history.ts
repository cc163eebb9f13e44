/** What the history reads of a traffic report (`traffic.ts` validates the whole report). */
export interface HistoryReport {
  readonly reporter: string;
  readonly p99Ms: number;
  readonly matrix: ReadonlyArray<{ readonly to: string; readonly callsPerSec: number }>;
}

/** One second of traffic as the chart draws it: calls/s answered by each destination zone, and p99. */
export interface HistoryPoint {
  /** Start of the second, wall-clock milliseconds (the page shows "N s ago" from it). */
  readonly t: number;
  /** Calls per second by destination zone, summed over reporters. */
  readonly zones: Readonly<Record<string, number>>;
  /** The worst p99 of the reporters in that second, milliseconds. */
  readonly p99Ms: number;
}

/** Bounds of {@link TrafficHistory}: reporters are peers, so everything keyed by them is capped. */
export interface TrafficHistoryOptions {
  /** How much history is kept. Default 5 minutes. */
  readonly spanMs?: number;
  /** Distinct destination zones kept per point; the rest are summed into `other`. Default 32. */
  readonly maxZones?: number;
}

const SECOND_MS = 1_000;

/**
 * The last few minutes of traffic reports, one point per second, so a failover stays visible on
 * the dashboard after it happened (and for a page opened later). Memory is fixed: `spanMs / 1 s`
 * points of at most `maxZones` zones each.
 *
 * Within one second, the newest report of each reporter counts (a reporter sending twice in a
 * second is not counted twice); the point sums them by destination zone.
 */
export class TrafficHistory {
  private readonly points: HistoryPoint[] = [];
  private readonly spanMs: number;
  private readonly maxZones: number;
  private open: { t: number; byReporter: Map<string, HistoryReport> } | undefined;

  constructor(options: TrafficHistoryOptions = {}) {
    this.spanMs = options.spanMs ?? 5 * 60_000;
    this.maxZones = options.maxZones ?? 32;
  }

  /** Adds a report received at wall-clock `now`; returns the point of its second as it stands. */
  add(report: HistoryReport, now: number): HistoryPoint {
    const t = now - (now % SECOND_MS);
    if (this.open?.t !== t) this.open = { t, byReporter: new Map() };
    this.open.byReporter.set(report.reporter, report);
    const point = this.fold(t, this.open.byReporter.values());
    if (this.points.at(-1)?.t === t) this.points[this.points.length - 1] = point;
    else this.points.push(point);
    while ((this.points[0]?.t ?? t) <= t - this.spanMs) this.points.shift();
    return point;
  }

  /** The kept points, oldest first. */
  list(): readonly HistoryPoint[] {
    return this.points;
  }

  private fold(t: number, reports: Iterable<HistoryReport>): HistoryPoint {
    // No prototype: zone names come from peers (a zone named `__proto__` is just a name).
    const zones = Object.create(null) as Record<string, number>;
    let kept = 0;
    let p99Ms = 0;
    for (const report of reports) {
      p99Ms = Math.max(p99Ms, report.p99Ms);
      for (const cell of report.matrix) {
        let zone = cell.to;
        if (!Object.hasOwn(zones, zone)) {
          if (kept >= this.maxZones) zone = 'other';
          else kept++;
        }
        zones[zone] = (zones[zone] ?? 0) + cell.callsPerSec;
      }
    }
    return { t, zones, p99Ms };
  }
}
