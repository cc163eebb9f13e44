import type { LoadWindow } from './load-stats.js';
import type { PhaseName } from './script.js';

/** A stretch of the run between two actions, with the load windows reported during it. */
export interface PhaseRecord {
  readonly phase: PhaseName;
  /** What started it (`kill eu-west-a-1`), or `start`. */
  readonly cause: string;
  readonly startMs: number;
  readonly windows: LoadWindow[];
}

/** One pass/fail line of the summary. `undefined` ok: the script never exercised it. */
export interface SummaryCheck {
  readonly name: string;
  readonly ok: boolean | undefined;
  readonly detail: string;
}

export interface DemoSummary {
  readonly phases: ReadonlyArray<{
    readonly phase: PhaseName;
    readonly cause: string;
    readonly startMs: number;
    readonly calls: number;
    readonly errors: number;
    readonly localShare: number | undefined;
  }>;
  readonly checks: readonly SummaryCheck[];
  /** Every exercised check passed. */
  readonly ok: boolean;
}

/** Thresholds of the verdict. */
export const SUMMARY_RULES = {
  /** Same-zone share the healthy phase must reach. */
  healthyLocalShare: 0.99,
  /** Same-zone share the last windows of the final recovery must reach. */
  recoveredLocalShare: 0.95,
  /** How many windows at the end of the final recovery are judged. */
  recoveredWindows: 2,
  /** Phases that must have no failed call. */
  zeroFailurePhases: ['kill', 'drain', 'zone-loss'] as readonly PhaseName[],
};

function totals(windows: readonly LoadWindow[], localZone: string) {
  let calls = 0;
  let errors = 0;
  let ok = 0;
  let local = 0;
  for (const w of windows) {
    calls += w.calls;
    errors += w.errors;
    for (const [zone, n] of Object.entries(w.byZone)) {
      ok += n;
      if (zone === localZone) local += n;
    }
  }
  return { calls, errors, localShare: ok === 0 ? undefined : local / ok };
}

const pct = (x: number | undefined): string => (x === undefined ? 'n/a' : `${(x * 100).toFixed(2)}%`);

/**
 * The verdict of a run: ≥ 99% same-zone calls while healthy, no failed call through the kill,
 * drain and zone-loss phases, and ≥ 95% of the traffic back in the caller's zone at the end of the
 * last recovery. A check whose phase never happened is reported as not exercised.
 *
 * `healthyLocalShare` lowers the healthy bar, and the recovered one with it when it is lower: both
 * measure the same-zone share of a healthy zone, and on a machine whose cores are busy with other
 * work both drop for the same reason — the load-aware spill sees the local zone's mean latency rise
 * with every scheduling stall and moves a slice of the traffic out (with `loadSpill` off, both read
 * 100% under the same load: docs/demo.md).
 */
export function summarize(
  records: readonly PhaseRecord[],
  localZone: string,
  healthyLocalShare: number = SUMMARY_RULES.healthyLocalShare,
): DemoSummary {
  const phases = records.map((r) => ({
    phase: r.phase,
    cause: r.cause,
    startMs: r.startMs,
    ...totals(r.windows, localZone),
  }));
  const checks: SummaryCheck[] = [];

  const healthy = totals(
    records.filter((r) => r.phase === 'healthy').flatMap((r) => r.windows),
    localZone,
  );
  checks.push({
    name: `same-zone calls while healthy ≥ ${pct(healthyLocalShare)}`,
    ok: healthy.localShare === undefined ? undefined : healthy.localShare >= healthyLocalShare,
    detail: `${pct(healthy.localShare)} of ${healthy.calls} calls in ${localZone}`,
  });

  for (const phase of SUMMARY_RULES.zeroFailurePhases) {
    const windows = records.filter((r) => r.phase === phase).flatMap((r) => r.windows);
    const t = totals(windows, localZone);
    checks.push({
      name: `no failed calls during ${phase}`,
      ok: windows.length === 0 ? undefined : t.errors === 0,
      detail: windows.length === 0 ? 'not in the script' : `${t.errors} failed of ${t.calls}`,
    });
  }

  const recoveredLocalShare = Math.min(SUMMARY_RULES.recoveredLocalShare, healthyLocalShare);
  const lastRecovery = records.filter((r) => r.phase === 'recovery').at(-1);
  const tail = lastRecovery?.windows.slice(-SUMMARY_RULES.recoveredWindows) ?? [];
  const recovered = totals(tail, localZone);
  checks.push({
    name: `traffic back in zone after recovery ≥ ${pct(recoveredLocalShare)}`,
    ok:
      lastRecovery === undefined || recovered.localShare === undefined
        ? undefined
        : recovered.localShare >= recoveredLocalShare,
    detail:
      lastRecovery === undefined
        ? 'not in the script'
        : `${pct(recovered.localShare)} in ${localZone} over the last ${tail.length} s`,
  });

  return { phases, checks, ok: checks.every((c) => c.ok !== false) };
}

/** The summary as text for the terminal. */
export function formatSummary(summary: DemoSummary): string {
  const lines = ['', 'summary', '  at      phase       calls    failed  same-zone  cause'];
  for (const p of summary.phases) {
    lines.push(
      `  ${`${(p.startMs / 1000).toFixed(1)}s`.padEnd(7)} ${p.phase.padEnd(10)} ${String(p.calls).padStart(6)} ` +
        `${String(p.errors).padStart(9)}  ${pct(p.localShare).padStart(9)}  ${p.cause}`,
    );
  }
  lines.push('');
  for (const c of summary.checks) {
    const mark = c.ok === undefined ? 'SKIP' : c.ok ? 'PASS' : 'FAIL';
    lines.push(`  ${mark}  ${c.name}: ${c.detail}`);
  }
  lines.push('', summary.ok ? 'demo: all checks passed' : 'demo: CHECKS FAILED', '');
  return lines.join('\n');
}
