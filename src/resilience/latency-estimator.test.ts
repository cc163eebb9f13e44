import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/random.js';
import { LatencyEstimator } from './latency-estimator.js';

function exact(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

describe('LatencyEstimator', () => {
  it('answers nothing until it has seen minSamples', () => {
    const e = new LatencyEstimator({ minSamples: 3 });
    e.record(10);
    e.record(10);
    expect(e.quantile(0.95)).toBeUndefined();
    e.record(10);
    expect(e.quantile(0.95)).toBeGreaterThanOrEqual(10);
  });

  it('tracks p50 and p95 of a skewed distribution within a bucket (10%)', () => {
    const random = seededRandom(42);
    const e = new LatencyEstimator({ halfLifeSamples: 1_000_000 });
    const samples: number[] = [];
    for (let i = 0; i < 5000; i++) {
      // Mostly ~5 ms, a 10% tail around 50-100 ms.
      const ms = random() < 0.9 ? 4 + random() * 2 : 50 + random() * 50;
      samples.push(ms);
      e.record(ms);
    }
    for (const q of [0.5, 0.95, 0.99]) {
      const truth = exact(samples, q);
      const estimate = e.quantile(q) ?? 0;
      expect(estimate).toBeGreaterThanOrEqual(truth * 0.999);
      expect(estimate).toBeLessThanOrEqual(truth * 1.1 * 1.001);
    }
  });

  it('follows a shift in latency thanks to decay', () => {
    const e = new LatencyEstimator({ halfLifeSamples: 100 });
    for (let i = 0; i < 1000; i++) e.record(100);
    for (let i = 0; i < 1000; i++) e.record(5);
    expect(e.quantile(0.95)).toBeLessThan(6);
  });

  it('clamps out-of-range values and ignores garbage', () => {
    const e = new LatencyEstimator({ minMs: 1, maxMs: 1000, minSamples: 1 });
    e.record(Number.NaN);
    e.record(-3);
    e.record(Infinity);
    expect(e.count).toBe(0);
    e.record(1e9);
    expect(e.quantile(0.5)).toBeGreaterThanOrEqual(1000);
    expect(e.quantile(0.5)).toBeLessThan(1000 * 1.21);
    expect(() => new LatencyEstimator({ growth: 1 })).toThrow(/latencyEstimator\.growth/);
  });
});
