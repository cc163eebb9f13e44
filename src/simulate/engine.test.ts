import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { sleep } from '../core/clock.js';
import { seededRandom } from '../core/random.js';
import { sampler } from './distributions.js';
import { EventQueue } from './event-queue.js';
import { SimServer, type ServerReply } from './server-model.js';
import type { InstanceSpec } from './topology.js';
import { VirtualClock } from './virtual-clock.js';

describe('EventQueue', () => {
  it('pops by time, then in scheduling order, skipping cancelled events', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean()), { maxLength: 200 }),
        (items) => {
          const queue = new EventQueue();
          const fired: Array<[number, number]> = [];
          items.forEach(([at, cancel], i) => {
            const event = queue.push(at, () => fired.push([at, i]));
            if (cancel) event.cancelled = true;
          });
          for (let e = queue.pop(); e !== undefined; e = queue.pop()) e.fire();
          const expected = items
            .map(([at, cancel], i) => ({ at, cancel, i }))
            .filter((x) => !x.cancel)
            .sort((a, b) => a.at - b.at || a.i - b.i)
            .map((x): [number, number] => [x.at, x.i]);
          expect(fired).toEqual(expected);
        },
      ),
    );
  });
});

describe('VirtualClock', () => {
  it('jumps from event to event and lets awaited code run before time moves on', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const task = async () => {
      await sleep(clock, 100);
      log.push(`slept ${clock.now()}`);
      await sleep(clock, 50);
      log.push(`slept again ${clock.now()}`);
    };
    void task();
    clock.schedule(120, () => log.push(`event ${clock.now()}`));
    clock.schedule(160, () => log.push(`event ${clock.now()}`));
    // Virtual time never waits on a real timer (a real delay would make a long simulation slow).
    const realTimers = vi.spyOn(globalThis, 'setTimeout');
    let realDelays: unknown[] = [];
    try {
      await clock.run(() => false, 1000);
      realDelays = realTimers.mock.calls.map(([, ms]) => ms ?? 0).filter((ms) => ms > 0);
    } finally {
      realTimers.mockRestore();
    }
    expect(log).toEqual(['slept 100', 'event 120', 'slept again 150', 'event 160']);
    expect(clock.now()).toBe(1000);
    expect(realDelays).toEqual([]);
  });

  it('forgets cleared timers and stops when asked', async () => {
    const clock = new VirtualClock();
    let fired = 0;
    const handle = clock.setTimeout(() => fired++, 10);
    clock.clearTimeout(handle);
    clock.setTimeout(() => fired++, 20);
    clock.setTimeout(() => fired++, 30);
    await clock.run(() => fired === 1, 1000);
    expect(fired).toBe(1);
    expect(clock.now()).toBe(20);
  });
});

describe('SimServer', () => {
  const spec = (capacity: number): InstanceSpec =>
    ({ id: 'z-0', zone: 'z', region: 'r', capacity }) as unknown as InstanceSpec;

  it('serves `capacity` calls at once and queues the rest in order', async () => {
    const clock = new VirtualClock();
    const server = new SimServer(spec(2), clock, sampler({ dist: 'constant', meanMs: 10 }, Math.random), {
      start: 0,
      end: 100,
    });
    const done: Array<[number, number]> = [];
    for (let i = 0; i < 5; i++) server.accept({ reply: () => done.push([i, clock.now()]) });
    expect(server.queued).toBe(3);
    await clock.run(() => false, 100);
    expect(done).toEqual([
      [0, 10],
      [1, 10],
      [2, 20],
      [3, 20],
      [4, 30],
    ]);
    // 2 slots busy for 20 ms, 1 for 10 ms, over 100 ms of 2 slots.
    expect(server.utilisation()).toBeCloseTo(50 / 200);
  });

  it('cuts off what it holds when killed and refuses until recovered', async () => {
    const clock = new VirtualClock();
    const server = new SimServer(spec(1), clock, sampler({ dist: 'constant', meanMs: 10 }, Math.random), {
      start: 0,
      end: 100,
    });
    const replies: ServerReply[] = [];
    server.accept({ reply: (r) => replies.push(r) });
    server.accept({ reply: (r) => replies.push(r) });
    clock.schedule(5, () => server.kill());
    await clock.run(() => false, 50);
    expect(replies).toEqual(['reset', 'reset']);
    expect(server.accept({ reply: () => undefined })).toBe(false);
    server.recover();
    expect(server.accept({ reply: () => undefined })).toBe(true);
  });
});

describe('distributions', () => {
  it.each([
    { dist: 'exponential', meanMs: 10 } as const,
    { dist: 'lognormal', meanMs: 10, sigma: 0.5 } as const,
    { dist: 'constant', meanMs: 10 } as const,
  ])('$dist keeps its mean', (d) => {
    const draw = sampler(d, seededRandom(7));
    let sum = 0;
    const n = 50_000;
    for (let i = 0; i < n; i++) sum += draw();
    expect(sum / n).toBeGreaterThan(9.7);
    expect(sum / n).toBeLessThan(10.3);
  });
});
