import type { z } from 'zod';
import { lazySchema } from '../core/zod.js';
import type { Clock } from '../core/clock.js';
import { parseWith } from '../core/validate.js';
import { type HistoryPoint, TrafficHistory, type TrafficHistoryOptions } from './history.js';

const zoneName = lazySchema((z) => z.string().max(200));
const ms = lazySchema((z) => z.number().finite().nonnegative());

/** One cell of the traffic matrix: calls per second from a caller zone to an instance zone. */
export const trafficCellSchema = lazySchema((z) =>
  z.object({ from: zoneName(), to: zoneName(), callsPerSec: ms() }).strict(),
);

/** What a caller knows about one endpoint (from the client's `explain()` plus its own counts). */
export const trafficEndpointSchema = lazySchema((z) =>
  z
    .object({
      id: z.string().min(1).max(256),
      locality: zoneName(),
      status: z.string().max(32),
      available: z.boolean(),
      callsPerSec: ms(),
      /** Peak-EWMA latency; absent while the caller has no sample of this endpoint. */
      ewmaMs: ms().optional(),
      ejected: z.boolean(),
      ejectedForMs: ms().optional(),
      reason: z.string().max(500).optional(),
      breaker: z.string().max(32),
    })
    .strict(),
);

/**
 * A caller's report of its last window of calls, as `POST /ui/api/traffic` takes it. The demo
 * client sends one per second; the dashboard shows the newest report of each `reporter`.
 */
export const trafficReportSchema = lazySchema((z) =>
  z
    .object({
      reporter: z.string().min(1).max(128),
      service: z.string().min(1).max(128),
      caller: zoneName(),
      windowMs: ms(),
      callsPerSec: ms(),
      errorsPerSec: ms(),
      p50Ms: ms(),
      p99Ms: ms(),
      phase: z.string().max(200).optional(),
      matrix: z.array(trafficCellSchema()).max(1000),
      endpoints: z.array(trafficEndpointSchema()).max(1000),
    })
    .strict(),
);

export type TrafficCell = z.output<ReturnType<typeof trafficCellSchema>>;
export type TrafficEndpoint = z.output<ReturnType<typeof trafficEndpointSchema>>;
export type TrafficReport = z.output<ReturnType<typeof trafficReportSchema>>;

/** Validates a posted report; INVALID_ARGUMENT names the field (`body.matrix.0.to`). */
export function parseTrafficReport(input: unknown): TrafficReport {
  return parseWith(trafficReportSchema(), input, 'body');
}

/** Bounds of a {@link TrafficBoard}. */
export interface TrafficBoardOptions extends TrafficHistoryOptions {
  /** A reporter silent this long is forgotten. Default 5 s. */
  readonly staleMs?: number;
  /** Reporters kept at once (they are peers: each new name takes memory). Default 64. */
  readonly maxReporters?: number;
}

/**
 * The newest report of each reporter, and the last minutes of them as a {@link TrafficHistory}.
 * A reporter that stopped sending is forgotten after `staleMs`, so a dead demo client does not
 * leave a frozen matrix on the page.
 */
export class TrafficBoard {
  private readonly reports = new Map<string, { report: TrafficReport; at: number }>();
  private readonly trail: TrafficHistory;
  private readonly staleMs: number;
  private readonly maxReporters: number;

  constructor(
    private readonly clock: Clock,
    options: TrafficBoardOptions = {},
  ) {
    this.staleMs = options.staleMs ?? 5_000;
    this.maxReporters = options.maxReporters ?? 64;
    this.trail = new TrafficHistory(options);
  }

  /** Keeps `report`; false (nothing kept) when it comes from a new reporter and the board is full. */
  put(report: TrafficReport): boolean {
    if (!this.reports.has(report.reporter) && this.current().length >= this.maxReporters) return false;
    this.reports.set(report.reporter, { report, at: this.clock.now() });
    this.trail.add(report, this.clock.wallNow());
    return true;
  }

  /** One point per second of the last minutes, oldest first. */
  history(): readonly HistoryPoint[] {
    return this.trail.list();
  }

  /** The live reports, oldest reporters dropped. */
  current(): TrafficReport[] {
    const now = this.clock.now();
    for (const [key, { at }] of this.reports) if (now - at > this.staleMs) this.reports.delete(key);
    return [...this.reports.values()].map((r) => r.report);
  }
}
