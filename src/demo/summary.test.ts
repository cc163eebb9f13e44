import { describe, expect, it } from 'vitest';
import type { LoadWindow } from './load-stats.js';
import { summarize, type PhaseRecord } from './summary.js';

const window = (byZone: Record<string, number>, errors = 0): LoadWindow => {
  const ok = Object.values(byZone).reduce((a, b) => a + b, 0);
  return {
    event: 'stats',
    calls: ok + errors,
    errors,
    errorCodes: errors > 0 ? { UNAVAILABLE: errors } : {},
    byZone,
    report: {
      reporter: 'r',
      service: 'echo',
      caller: 'eu-west/a',
      windowMs: 1000,
      callsPerSec: ok + errors,
      errorsPerSec: errors,
      p50Ms: 1,
      p99Ms: 2,
      matrix: [],
      endpoints: [],
    },
  };
};
const phase = (p: PhaseRecord['phase'], windows: LoadWindow[]): PhaseRecord => ({
  phase: p,
  cause: p,
  startMs: 0,
  windows,
});

describe('demo summary', () => {
  const healthy = phase('healthy', [window({ 'eu-west/a': 300 })]);
  const recovered = phase('recovery', [
    window({ 'eu-west/b': 300 }),
    window({ 'eu-west/a': 299, 'eu-west/b': 1 }),
    window({ 'eu-west/a': 300 }),
  ]);

  it('passes a run that stayed local, lost nothing and came back', () => {
    const summary = summarize(
      [healthy, phase('zone-loss', [window({ 'eu-west/b': 300 })]), recovered],
      'eu-west/a',
    );
    expect(summary.ok).toBe(true);
    expect(summary.checks.map((c) => c.ok)).toEqual([true, undefined, undefined, true, true]);
  });

  it('fails on a failed call during zone loss, on spill while healthy, and without recovery', () => {
    const summary = summarize(
      [
        phase('healthy', [window({ 'eu-west/a': 290, 'eu-west/b': 10 })]),
        phase('zone-loss', [window({ 'eu-west/b': 299 }, 1)]),
        phase('recovery', [window({ 'eu-west/b': 300 }), window({ 'eu-west/b': 300 })]),
      ],
      'eu-west/a',
    );
    expect(summary.ok).toBe(false);
    expect(summary.checks.filter((c) => c.ok === false).map((c) => c.name)).toEqual([
      'same-zone calls while healthy ≥ 99.00%',
      'no failed calls during zone-loss',
      'traffic back in zone after recovery ≥ 95.00%',
    ]);
  });

  it('a lower healthy bar lowers the recovered bar with it, never raises it', () => {
    const busy = [
      phase('healthy', [window({ 'eu-west/a': 240, 'eu-west/b': 60 })]),
      phase('recovery', [
        window({ 'eu-west/a': 230, 'eu-west/b': 70 }),
        window({ 'eu-west/a': 230, 'eu-west/b': 70 }),
      ]),
    ];
    // 80% healthy, 76.7% recovered: passes a 75% bar, fails the defaults and an 80% one.
    expect(summarize(busy, 'eu-west/a', 0.75).ok).toBe(true);
    expect(summarize(busy, 'eu-west/a', 0.75).checks.map((c) => c.name)).toContain(
      'traffic back in zone after recovery ≥ 75.00%',
    );
    expect(summarize(busy, 'eu-west/a').ok).toBe(false);
    const at80 = summarize(busy, 'eu-west/a', 0.8);
    expect(at80.checks.filter((c) => c.ok === false).map((c) => c.name)).toEqual([
      'traffic back in zone after recovery ≥ 80.00%',
    ]);
    // A bar above 95% while healthy leaves the recovered bar at 95%.
    expect(summarize(busy, 'eu-west/a', 0.99).checks.at(-1)?.name).toBe(
      'traffic back in zone after recovery ≥ 95.00%',
    );
  });
});
