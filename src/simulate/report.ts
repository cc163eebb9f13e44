import type { RunResult, SimulationReport } from './runner.js';

/** Table columns, in order. */
const COLUMNS = [
  'POLICY',
  'LOAD',
  'CALLS',
  'P50',
  'P99',
  'X-ZONE',
  'X-ZONE(SWEPT)',
  'X-REGION',
  'ERRORS',
  'FAILED-ATTEMPTS',
  'MAX-UTIL',
];

/**
 * The report for people: a header naming the scenario, seed and faults, then one row per run with
 * p50/p99 latency, the share of attempts served outside the caller's zone (and region), failed
 * calls, failed attempts (retried or not) and the busiest instance's utilisation. Sweeps add the
 * LOAD factor and X-ZONE(SWEPT), the cross-zone share of the swept zone's callers alone.
 */
export function formatReport(report: SimulationReport): string {
  const sweep = report.sweepZone;
  const header = columns(sweep !== undefined);
  const rows = report.runs.map((r) => row(r, sweep));
  const lines = [
    `scenario ${report.scenario} · seed ${report.seed} · ${seconds(report.durationMs)} (warm-up ${seconds(report.warmupMs)})`,
  ];
  if (report.faults.length > 0) lines.push(`faults: ${report.faults.join('; ')}`);
  if (sweep !== undefined) lines.push(`load: callers in ${sweep} × factor; X-ZONE(SWEPT): theirs only`);
  return `${lines.join('\n')}\n${table(header, rows)}`;
}

/** The report as Markdown (the table of docs/simulate.md). */
export function formatMarkdown(report: SimulationReport): string {
  const sweep = report.sweepZone;
  const header = columns(sweep !== undefined);
  const rows = report.runs.map((r) => row(r, sweep));
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
}

function columns(sweep: boolean): string[] {
  return COLUMNS.filter((c) => sweep || (c !== 'LOAD' && c !== 'X-ZONE(SWEPT)'));
}

function row(r: RunResult, sweep: string | undefined): string[] {
  const cells = [
    r.policy,
    ...(sweep !== undefined ? [`×${r.load ?? 1}`] : []),
    String(r.calls),
    ms(r.p50Ms),
    ms(r.p99Ms),
    percent(r.crossZoneShare),
    ...(sweep !== undefined ? [percent(r.byCallerZone[sweep]?.crossZoneShare ?? 0)] : []),
    percent(r.crossRegionShare),
    String(r.errors),
    String(r.failedAttempts),
    percent(r.maxUtilisation),
  ];
  return cells;
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => (r[col] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, col) => (col === 0 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function ms(value: number): string {
  return value >= 100 ? `${value.toFixed(0)}ms` : `${value.toFixed(1)}ms`;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function seconds(valueMs: number): string {
  return `${valueMs / 1000}s`;
}
