import type { LoadWindow } from './load-stats.js';

/**
 * The live terminal table: one compact row per load window — time, phase, calls/s, p50/p99,
 * errors, the share of calls answered by each zone, and the endpoints the caller does not use
 * (ejected, breaker open, draining). The header repeats every `headerEvery` rows.
 */
export class LiveTable {
  private rows = 0;

  constructor(
    private readonly zones: readonly string[],
    private readonly write: (text: string) => void,
    private readonly headerEvery = 20,
  ) {}

  header(): string {
    const zoneCols = this.zones.map((z) => z.padStart(10)).join(' ');
    return `${'time'.padStart(6)}  ${'phase'.padEnd(10)} ${'calls/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'errors'.padStart(6)} ${zoneCols}  out of rotation`;
  }

  /** Formats one row (exported for tests through {@link LiveTable.row}). */
  row(elapsedMs: number, phase: string, window: LoadWindow): string {
    const r = window.report;
    const ok = Object.values(window.byZone).reduce((a, b) => a + b, 0);
    const shares = this.zones
      .map((z) => (ok === 0 ? '–' : `${(((window.byZone[z] ?? 0) / ok) * 100).toFixed(1)}%`).padStart(10))
      .join(' ');
    const out = r.endpoints
      .filter((e) => e.ejected || !e.available)
      .map(
        (e) =>
          `${e.id}(${e.ejected ? 'ejected' : e.status !== 'UP' ? e.status.toLowerCase() : e.breaker === 'open' || e.breaker === 'half-open' ? `breaker ${e.breaker}` : 'out'})`,
      )
      .join(' ');
    const codes = Object.entries(window.errorCodes ?? {})
      .map(([code, n]) => `${code}×${n}`)
      .join(' ');
    return (
      `${`${(elapsedMs / 1000).toFixed(0)}s`.padStart(6)}  ${phase.padEnd(10)} ${r.callsPerSec.toFixed(0).padStart(7)} ` +
      `${r.p50Ms.toFixed(2).padStart(7)} ${r.p99Ms.toFixed(2).padStart(7)} ${String(window.errors).padStart(6)} ${shares}  ${out || '-'}${codes ? `  [${codes}]` : ''}`
    );
  }

  print(elapsedMs: number, phase: string, window: LoadWindow): void {
    if (this.rows % this.headerEvery === 0) this.write(`${this.header()}\n`);
    this.rows += 1;
    this.write(`${this.row(elapsedMs, phase, window)}\n`);
  }
}
