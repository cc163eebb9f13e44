import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/testing/fake-clock.js';
import { TrafficHistory } from './history.js';
import { TrafficBoard, type TrafficReport } from './traffic.js';

const T0 = Date.UTC(2026, 0, 1);

function report(reporter: string, cells: Record<string, number>, p99Ms = 5): TrafficReport {
  return {
    reporter,
    service: 'echo',
    caller: 'eu/a',
    windowMs: 1_000,
    callsPerSec: Object.values(cells).reduce((a, b) => a + b, 0),
    errorsPerSec: 0,
    p50Ms: 1,
    p99Ms,
    matrix: Object.entries(cells).map(([to, callsPerSec]) => ({ from: 'eu/a', to, callsPerSec })),
    endpoints: [],
  };
}

describe('traffic history (the dashboard chart)', () => {
  it('keeps one point per second: reporters summed by zone, a reporter counted once, the worst p99', () => {
    const history = new TrafficHistory();
    history.add(report('r1', { 'eu/a': 100 }, 4), T0 + 10);
    history.add(report('r1', { 'eu/a': 120 }, 6), T0 + 500); // same reporter, same second: replaces
    const point = history.add(report('r2', { 'eu/a': 10, 'eu/b': 30 }, 9), T0 + 900);
    expect(point).toEqual({ t: T0, zones: { 'eu/a': 130, 'eu/b': 30 }, p99Ms: 9 });
    history.add(report('r1', { 'eu/b': 50 }), T0 + 1_000);
    expect(history.list().map((p) => p.t)).toEqual([T0, T0 + 1_000]);
  });

  it('holds at most its span, oldest points dropped first', () => {
    const history = new TrafficHistory({ spanMs: 10_000 });
    for (let s = 0; s < 25; s++) history.add(report('r', { z: s }), T0 + s * 1_000);
    expect(history.list()).toHaveLength(10);
    expect(history.list()[0]?.t).toBe(T0 + 15_000);
  });

  it('caps the zones of a point (peers name them) and folds the rest into "other"', () => {
    const history = new TrafficHistory({ maxZones: 2 });
    const cells = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`zone-${i}`, 1]));
    const input = report('r', cells);
    // A zone named like an object's prototype is just a name (a literal would set the prototype).
    const point = history.add(
      { ...input, matrix: [...input.matrix, { from: 'eu/a', to: '__proto__', callsPerSec: 7 }] },
      T0,
    );
    expect(Object.keys(point.zones)).toHaveLength(3);
    expect(point.zones.other).toBe(48 + 7);
    expect(Object.getPrototypeOf(point.zones)).toBeNull();
  });

  it('refuses a new reporter when the board is full, until one goes stale', async () => {
    const clock = new FakeClock(0, T0);
    const board = new TrafficBoard(clock, { maxReporters: 3, staleMs: 5_000 });
    for (const name of ['a', 'b', 'c']) expect(board.put(report(name, { z: 1 }))).toBe(true);
    expect(board.put(report('d', { z: 1 }))).toBe(false);
    expect(board.put(report('a', { z: 2 }))).toBe(true); // a known reporter still reports
    expect(
      board
        .current()
        .map((r) => r.reporter)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
    await clock.advance(6_000);
    expect(board.put(report('d', { z: 1 }))).toBe(true);
    expect(board.history().length).toBeGreaterThan(0);
  });
});
