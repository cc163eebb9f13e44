import { tracingChannel } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { createClient, createServer } from '../../src/client/index.js';
import { ProximaError } from '../../src/core/index.js';
import { implement } from '../../src/rpc/index.js';
import { EchoApi } from './fleet.js';

const closers: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Subscribes to a tracing channel by name, as an APM would (no import of Proxima), recording events. */
function record(name: string): Array<{ event: string; message: Record<string, unknown> }> {
  const events: Array<{ event: string; message: Record<string, unknown> }> = [];
  const channel = tracingChannel(name);
  const on = (event: string) => (message: unknown) =>
    events.push({ event, message: { ...(message as Record<string, unknown>) } });
  const handlers = {
    start: on('start'),
    end: on('end'),
    asyncStart: on('asyncStart'),
    asyncEnd: on('asyncEnd'),
    error: on('error'),
  };
  channel.subscribe(handlers);
  closers.push(() => void channel.unsubscribe(handlers));
  return events;
}

describe('diagnostics_channel tracing channels', () => {
  it('publish client calls, server calls and registry changes with their payloads', async () => {
    const client = record('proxima:client:call');
    const server = record('proxima:server:call');
    const changes = record('proxima:registry:change');
    expect(tracingChannel('proxima:client:call').hasSubscribers).toBe(true);

    const registry = new MemoryRegistry();
    closers.push(() => registry.close());
    const rpc = createServer({
      services: [
        implement(EchoApi, {
          ask: ({ n }) => {
            if (n < 0) throw new ProximaError('INVALID_ARGUMENT', 'negative', { field: 'n' });
            return { id: `a${n}` };
          },
        }),
      ],
      register: { registry, instance: { service: 'echo', id: 'a1' }, env: {} },
    });
    closers.push(() => rpc.shutdown({ graceMs: 0 }));
    await rpc.listen({ host: '127.0.0.1', port: 0 });
    const c = await createClient({ registry, env: {}, probe: false });
    closers.push(() => c.close());
    const echo = c.bind(EchoApi);
    await echo.ask({ n: 7 });
    await expect(echo.ask({ n: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });

    expect(client.map((e) => e.event)).toEqual([
      'start',
      'end',
      'asyncStart',
      'asyncEnd',
      'start',
      'end',
      'error',
      'asyncStart',
      'asyncEnd',
    ]);
    expect(client[0]!.message).toMatchObject({ service: 'echo', method: 'ask', request: { n: 7 } });
    expect(client[3]!.message).toMatchObject({ result: { id: 'a7' } });
    expect(client[6]!.message.error).toMatchObject({ code: 'INVALID_ARGUMENT' });

    const served = server.filter((e) => e.event === 'start');
    expect(served.map((e) => e.message.request)).toEqual([{ n: 7 }, { n: -1 }]);
    expect(served[0]!.message).toMatchObject({ service: 'echo', method: 'ask' });
    expect((served[0]!.message.context as { peer: { address: string } }).peer.address).toBe('127.0.0.1');
    expect(server.find((e) => e.event === 'error')?.message.error).toMatchObject({
      code: 'INVALID_ARGUMENT',
    });

    // The client's watch delivered the service's first snapshot (a reset holding one instance).
    const change = changes.find((e) => e.event === 'start')!;
    expect(change.message).toMatchObject({ service: 'echo', cause: 'reset', instances: 1 });
    expect(changes.map((e) => e.event)).toContain('end');
  });

  it('cost nothing and publish nothing once unsubscribed', async () => {
    const events = record('proxima:client:call');
    closers.splice(0).forEach((close) => void close());
    expect(tracingChannel('proxima:client:call').hasSubscribers).toBe(false);
    const registry = new MemoryRegistry();
    closers.push(() => registry.close());
    const c = await createClient({ registry, env: {}, probe: false });
    closers.push(() => c.close());
    await expect(c.call('nobody', 'ask', {}, { deadlineMs: 50 })).rejects.toBeDefined();
    expect(events).toEqual([]);
  });
});
