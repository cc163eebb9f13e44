/**
 * Randomness as a dependency: a function returning a float in [0, 1). Balancers, backoff and the
 * simulator take one so tests and simulations are reproducible from a seed.
 */
export type Random = () => number;

export const systemRandom: Random = Math.random;

/**
 * A small, fast, seeded PRNG (mulberry32). Good for load balancing and simulation, not crypto.
 * The 32-bit state lives in an `Int32Array`: held in the closure as a number it leaves the small
 * integer range for half of its values, and V8 then boxes every store into a new heap number (one
 * allocation per draw; ~9.6 ns against 5.2 ns per draw, `Math.random` ~6.4 ns). Same sequence.
 */
export function seededRandom(seed: number): Random {
  const state = new Int32Array(1);
  state[0] = seed | 0;
  return () => {
    const a = (state[0] = (state[0]! + 0x6d2b79f5) | 0);
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
