import { HttpRegistry } from '../../src/backends/http/index.js';

/** Latency of one write reaching every watcher, over several writes. */
export interface Propagation {
  readonly watchers: number;
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

const WATCHERS_PER_CLIENT = 250;

/**
 * Opens `watchers` SSE watches on a fresh service, then performs `writes` updates one after the
 * other; for each, the time from just before the PATCH is sent until each watcher has the event.
 */
export async function runPropagation(
  url: string,
  writer: HttpRegistry,
  watchers: number,
  writes: number,
): Promise<Propagation> {
  const service = `bench-prop-${watchers}`;
  const registration = await writer.register(
    { service, id: 'target', address: '127.0.0.1:1000' },
    { ttlMs: 120_000 },
  );
  const clients = Array.from(
    { length: Math.ceil(watchers / WATCHERS_PER_CLIENT) },
    () => new HttpRegistry({ url, requestTimeoutMs: 30_000 }),
  );
  const controller = new AbortController();
  const samples: number[] = [];
  let sentAt = 0;
  let expectedWeight = -1;
  let pending = 0;
  let ready = 0;
  let onReady = (): void => undefined;
  let onAllReceived = (): void => undefined;

  const loops = Array.from({ length: watchers }, async (_, k) => {
    const client = clients[Math.floor(k / WATCHERS_PER_CLIENT)] as HttpRegistry;
    for await (const event of client.watch(service, { signal: controller.signal })) {
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
  await Promise.all(clients.map((c) => c.close()));
  await registration.deregister();

  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { watchers, samples: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}
