import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/testing/fake-clock.js';
import { seededRandom } from '../core/random.js';
import { freePort } from '../../test/support/ports.js';
import { Prober } from './prober.js';
import { RttTable } from './rtt-source.js';
import { tcpConnectTime } from './tcp-probe.js';

let server: Server;
let address: string;

beforeAll(async () => {
  server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no address');
  address = `127.0.0.1:${a.port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('tcp connect probe', () => {
  it('measures connect time to a real listener', async () => {
    const ms = await tcpConnectTime(address, { timeoutMs: 5000 });
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(5000);
  });

  it('fails UNAVAILABLE when nothing listens', async () => {
    const port = await freePort();
    await expect(tcpConnectTime(`127.0.0.1:${port}`, { timeoutMs: 5000 })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  });

  it('rejects a malformed address naming the field', async () => {
    await expect(tcpConnectTime('nope', { timeoutMs: 10 })).rejects.toMatchObject({ field: 'address' });
  });
});

describe('prober', () => {
  it('probes all preferred targets and a sample of the others, into the RTT table', async () => {
    const rtt = new RttTable();
    const dead = `127.0.0.1:${await freePort()}`;
    const others = Array.from({ length: 10 }, (_, i) => ({ id: `o${i}`, address: dead }));
    const prober = new Prober({
      clock: new FakeClock(),
      random: seededRandom(1),
      rtt,
      targets: () => ({ preferred: [{ id: 'p0', address }], others: [...others, { id: 'o-live', address }] }),
      othersPerRound: 11,
      timeoutMs: 5000,
    });
    await prober.round();
    expect(rtt.rtt('p0')).toBeGreaterThanOrEqual(0);
    expect(rtt.rtt('o-live')).toBeGreaterThanOrEqual(0);
    expect(rtt.rtt('o0')).toBeUndefined();
    await prober.stop();
  });

  it('reports probes that cannot connect: unreachable after two in a row, back at the first that connects', async () => {
    const rtt = new RttTable();
    let changes = 0;
    rtt.changed(() => changes++);
    const dead = { id: 'dead', address: `127.0.0.1:${await freePort()}` };
    const prober = new Prober({
      clock: new FakeClock(),
      random: seededRandom(1),
      rtt,
      targets: () => ({ preferred: [dead, { id: 'live', address }], others: [] }),
      timeoutMs: 5000,
    });
    await prober.round();
    expect(rtt.unreachable('dead')).toBe(false);
    await prober.round();
    expect([rtt.unreachable('dead'), rtt.unreachable('live')]).toEqual([true, false]);
    await Promise.resolve();
    expect(changes).toBeGreaterThan(0);
    rtt.report('dead', 1);
    expect(rtt.unreachable('dead')).toBe(false);
    await prober.stop();
  });

  it('a probe cut short by stop() says nothing about the endpoint', async () => {
    const rtt = new RttTable(0.3, 1);
    const prober = new Prober({
      clock: new FakeClock(),
      random: seededRandom(1),
      rtt,
      targets: () => ({ preferred: [{ id: 'p', address }], others: [] }),
      probe: (_target, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    });
    const round = prober.round();
    await prober.stop();
    await round;
    expect(rtt.unreachable('p')).toBe(false);
  });

  it('runs on a jittered schedule and smooths with an EWMA', async () => {
    const clock = new FakeClock();
    const rtt = new RttTable(0.5);
    const samples = [10, 20, 30];
    let calls = 0;
    const prober = new Prober({
      clock,
      random: seededRandom(2),
      rtt,
      targets: () => ({ preferred: [{ id: 'p', address }], others: [] }),
      intervalMs: 1000,
      jitter: 0.2,
      probe: async () => samples[calls++ % samples.length]!,
    }).start();
    await clock.advance(799);
    expect(calls).toBe(0);
    await clock.advance(2 * 1201);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(rtt.history('p')?.samples).toBe(calls);
    let expected = samples[0]!;
    for (let k = 1; k < calls; k++) expected += 0.5 * (samples[k % samples.length]! - expected);
    expect(rtt.rtt('p')).toBe(expected);
    await prober.stop();
    expect(clock.pendingTimers).toBe(0);
  });
});
