import type { Lease, Registry } from '../../src/registry/registry.js';

/** Runs `op` from `concurrency` loops for `durationMs`; returns completed operations per second. */
export async function throughput(
  concurrency: number,
  durationMs: number,
  op: (worker: number, n: number) => Promise<unknown>,
): Promise<number> {
  const start = performance.now();
  const deadline = start + durationMs;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let n = 0; performance.now() < deadline; n++) {
        await op(worker, n);
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

/**
 * Registrations per second through the Registry interface: `concurrency` sessions, each holding one
 * lease, register (or replace) instances under it as fast as the registry answers.
 */
export async function registrationThroughput(
  registry: Registry,
  label: string,
  concurrency: number,
  durationMs: number,
): Promise<number> {
  const leases: Lease[] = await Promise.all(
    Array.from({ length: concurrency }, () => registry.grant({ ttlMs: 120_000 })),
  );
  try {
    return await throughput(concurrency, durationMs, (worker, n) =>
      registry.register(
        {
          service: `${label}-${worker % 8}`,
          id: `w${worker}-${n % 500}`,
          address: `127.0.0.1:${1000 + (n % 500)}`,
        },
        { lease: leases[worker] as Lease },
      ),
    );
  } finally {
    await Promise.all(leases.map((lease) => lease.revoke()));
  }
}

/**
 * Watch propagation: `watchers` watches of one service on `watcherClient`, then `writes` updates
 * one after the other on `writer`; each sample is the time from just before the update is sent until
 * one watcher has the event (so one write gives `watchers` samples).
 */
export async function propagationSamples(
  writer: Registry,
  watcherClient: Registry,
  service: string,
  watchers: number,
  writes: number,
): Promise<number[]> {
  const registration = await writer.register(
    { service, id: 'target', address: '127.0.0.1:1000' },
    { ttlMs: 120_000 },
  );
  const controller = new AbortController();
  const samples: number[] = [];
  let sentAt = 0;
  let expectedWeight = -1;
  let pending = 0;
  let ready = 0;
  let onReady = (): void => undefined;
  let onAllReceived = (): void => undefined;
  const loops = Array.from({ length: watchers }, async () => {
    for await (const event of watcherClient.watch(service, { signal: controller.signal })) {
      if (event.type === 'reset') {
        ready += 1;
        if (ready === watchers) onReady();
      } else if (event.type === 'upsert' && event.instance.weight === expectedWeight) {
        samples.push(performance.now() - sentAt);
        pending -= 1;
        if (pending === 0) onAllReceived();
      }
    }
  });
  await new Promise<void>((resolve) => {
    onReady = resolve;
    if (ready === watchers) resolve();
  });
  for (let i = 0; i < writes; i++) {
    expectedWeight = 1 + (i % 1000);
    pending = watchers;
    const received = new Promise<void>((resolve) => {
      onAllReceived = resolve;
    });
    sentAt = performance.now();
    await registration.update({ weight: expectedWeight });
    await received;
  }
  controller.abort();
  await Promise.all(loops);
  await registration.deregister();
  return samples;
}

/** The value at quantile `q` of `samples` (nearest rank). */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** The median of a few numbers. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}
