import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client, type ClientOptions } from '../../src/client/index.js';
import { startServerProcess, type ServerProcess } from '../server/server-process.js';
import { eventually, type OwnedProcess, ProcessGroup } from '../support/processes.js';
import { whoApi } from './fixtures/who-api.js';
import { delta, SteadyLoad } from './load.js';

/**
 * The failure drills, with counts: four instances in their own processes behind a real
 * registry server, a client under steady open-loop load (2 000 calls/s), and then an instance
 * killed, all of them restarted in turn, or one made 50 ms slower.
 */

const SCRIPT = fileURLToPath(new URL('./fixtures/who-service.ts', import.meta.url));
const group = new ProcessGroup();
let registry: ServerProcess;

beforeAll(async () => {
  registry = await startServerProcess(group, { name: 'registry' });
});
afterAll(() => group.killAll());

async function startInstance(service: string, id: string, delayMs = 0): Promise<OwnedProcess> {
  const child = group.start(id, process.execPath, ['--import', 'tsx', SCRIPT], {
    PROXIMA_REGISTRY: registry.url,
    WHO_SERVICE: service,
    WHO_ID: id,
    WHO_DELAY_MS: String(delayMs),
  });
  await child.waitForLine(/^READY \d+/, 30_000);
  return child;
}

async function fleet(service: string, delays: readonly number[] = [0, 0, 0, 0]): Promise<OwnedProcess[]> {
  return Promise.all(delays.map((d, i) => startInstance(service, `${service}-${i}`, d)));
}

async function clientOf(
  service: string,
  options: Partial<ClientOptions> = {},
): Promise<{ client: Client; ask: () => Promise<{ id: string }> }> {
  const client = await createClient({ registry: registry.url, env: {}, probe: false, ...options });
  const api = client.bind(whoApi(service).definition);
  await client.ready(service);
  await eventually(() => client.explain(service).routes.flatMap((r) => r.endpoints).length === 4);
  let n = 0;
  return { client, ask: () => api.ask({ n: n++ }, { deadlineMs: 5_000 }) };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('client under steady load against 4 instance processes', () => {
  it('kill -9 of one instance: 0 failed calls', async () => {
    const instances = await fleet('who-kill');
    // Every call in flight on the killed instance fails at once. They share one connection failure,
    // which the default A6 budget (10 tokens, retries while > 5) charges once, so all of them retry.
    const { client, ask } = await clientOf('who-kill');
    const load = new SteadyLoad(ask).start();
    await pause(2_000);
    const before = load.counts();
    await instances[0]!.kill();
    // Until the lease runs out (2 s TTL) the registry still lists it; then the watch drops it.
    await eventually(
      () => !client.explain('who-kill').routes.some((r) => r.endpoints.some((e) => e.id === 'who-kill-0')),
      15_000,
    );
    await pause(1_000);
    await load.answered(1_001, before);
    const total = await load.stop();
    await client.close();

    const after = delta(total, before);
    expect(total.failed, load.firstErrors.join('\n')).toBe(0);
    expect(load.skipped).toBe(0);
    for (const id of ['who-kill-1', 'who-kill-2', 'who-kill-3']) {
      expect(after.byInstance.get(id) ?? 0).toBeGreaterThan(0);
    }
    await Promise.all(instances.map((p) => p.stop()));
  }, 90_000);

  it('rolling restart of all four (SIGTERM, start anew, wait registered, next): 0 failed calls', async () => {
    const instances = await fleet('who-roll');
    const { client, ask } = await clientOf('who-roll');
    const load = new SteadyLoad(ask).start();
    await pause(1_000);
    for (let i = 0; i < 4; i++) {
      const old = instances[i]!;
      await old.stop(10_000);
      expect(old.lines).toContain('DRAINED');
      instances[i] = await startInstance('who-roll', `who-roll-${i}b`);
      await pause(300);
    }
    await eventually(
      () => client.explain('who-roll').routes.flatMap((r) => r.endpoints).length === 4,
      15_000,
    );
    const mark = load.counts();
    await pause(1_000);
    await load.answered(2_001);
    await load.answered(1, mark);
    const total = await load.stop();
    await client.close();

    expect(total.failed, load.firstErrors.join('\n')).toBe(0);
    expect(load.skipped).toBe(0);
    // After the restart only the new generation answers.
    const tail = delta(total, mark);
    expect([...tail.byInstance].filter(([, n]) => n > 0).every(([id]) => id.endsWith('b'))).toBe(true);
    await Promise.all(instances.map((p) => p.stop()));
  }, 120_000);

  it('SIGSTOP of one instance for 5 s under 2 000 calls/s (2 s deadlines): 0 failed idempotent calls', async () => {
    const instances = await fleet('who-freeze');
    // The idempotent calls in flight on the frozen instance are moved by PING-based detection (no
    // byte for 1 s after a PING while calls are pending), not left to hit their 2 s deadline.
    const { client } = await clientOf('who-freeze');
    const api = client.bind(whoApi('who-freeze').definition);
    let n = 0;
    const load = new SteadyLoad(() => api.ask({ n: n++ }, { deadlineMs: 2_000 })).start();
    await pause(1_500);
    const before = load.counts();
    instances[0]!.signal('SIGSTOP');
    await pause(5_000);
    instances[0]!.signal('SIGCONT');
    await pause(2_000);
    await load.answered(3_001, before);
    const total = await load.stop();
    await client.close();

    expect(total.failed, load.firstErrors.join('\n')).toBe(0);
    expect(load.skipped).toBe(0);
    await Promise.all(instances.map((p) => p.stop()));
  }, 90_000);

  it('one instance 50 ms slower: after warm-up it gets at most 5% of the calls', async () => {
    const instances = await fleet('who-slow', [50, 0, 0, 0]);
    const { client, ask } = await clientOf('who-slow');
    const load = new SteadyLoad(ask).start();
    await pause(3_000); // warm-up: peak-EWMA learns each instance's latency
    const before = load.counts();
    await pause(5_000);
    await load.answered(2_001, before);
    const total = await load.stop();
    await client.close();

    const window = delta(total, before);
    expect(total.failed, load.firstErrors.join('\n')).toBe(0);
    const slow = window.byInstance.get('who-slow-0') ?? 0;
    expect(slow / window.ok).toBeLessThanOrEqual(0.05);
    await Promise.all(instances.map((p) => p.stop()));
  }, 90_000);
});
