import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seededRandom } from '../core/random.js';
import { fullJitterBackoff, fullJitterCap } from './backoff.js';

describe('fullJitterBackoff', () => {
  it('starts at zero and draws each delay inside min(initial·2^(n-1), max)', () => {
    let step = fullJitterBackoff({ initialMs: 10, maxMs: 100, random: seededRandom(7) });
    expect(step.retries).toBe(0);
    expect(step.delayMs).toBe(0);
    const caps = [10, 20, 40, 80, 100, 100, 100];
    for (const cap of caps) {
      step = step.next();
      expect(step.delayMs).toBeGreaterThanOrEqual(0);
      expect(step.delayMs).toBeLessThan(cap);
    }
    expect(step.retries).toBe(caps.length);
  });

  it('is immutable: a step replays the same next delay for the same random draw', () => {
    const start = fullJitterBackoff({ initialMs: 10, maxMs: 100, random: () => 0.5 });
    const a = start.next();
    const b = start.next();
    expect(a).not.toBe(b);
    expect(a.delayMs).toBe(5);
    expect(b.delayMs).toBe(5);
    expect(start.retries).toBe(0);
    expect(a.next().delayMs).toBe(10);
  });

  it('caps never exceed max, even for huge retry counts', () => {
    fc.assert(
      fc.property(
        fc.nat(2000),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        (n, i, m) => {
          const cap = fullJitterCap(i, Math.max(i, m), n);
          expect(cap).toBeLessThanOrEqual(Math.max(i, m));
          expect(cap).toBeGreaterThanOrEqual(0);
        },
      ),
    );
    expect(fullJitterCap(10, 1000, 1e6)).toBe(1000);
  });
});
