import { describe, expect, it, vi } from 'vitest';
import type * as ZodLoader from './zod.js';

/** A new instance of the loader module, as a fresh process would have it (nothing loaded yet). */
async function freshLoader(): Promise<typeof ZodLoader> {
  vi.resetModules();
  return import('./zod.js');
}

describe('zod, loaded on first use', () => {
  it('builds a lazy schema once, on its first use, and never when unused', async () => {
    const { lazySchema } = await freshLoader();
    let builds = 0;
    const port = lazySchema((z) => {
      builds++;
      return z.number().int().min(0).max(65_535);
    });
    lazySchema(() => {
      throw new Error('an unused schema must not be built');
    });
    expect(builds).toBe(0);
    expect(port().safeParse(7070).success).toBe(true);
    expect(port().safeParse(-1).success).toBe(false);
    expect(port()).toBe(port());
    expect(builds).toBe(1);
  });

  it("takes the application's ES module copy when an async entry point preloads it", async () => {
    const loader = await freshLoader();
    await loader.preloadZod();
    expect(loader.zod()).toBe((await import('zod')).z);
  });

  it('keeps the copy it started with: a preload after a synchronous load changes nothing', async () => {
    const loader = await freshLoader();
    const first = loader.zod(); // synchronous: zod's CommonJS build
    expect(first).not.toBe((await import('zod')).z);
    expect(first.string().parse('x')).toBe('x');
    await loader.preloadZod();
    expect(loader.zod()).toBe(first);
  });
});
