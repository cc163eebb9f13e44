import { describe, expect, it } from 'vitest';
import { ProximaError } from '../core/errors.js';
import { parseInstance } from '../core/instance.js';
import { FakeClock } from '../core/testing/fake-clock.js';
import type { TopologyReport } from '../topology/topology.js';
import { explainRegistrar, formatRegistrarExplanation, type RegistrarView } from './explain.js';
import { Refusals } from './refusals.js';

const orders = parseInstance({
  service: 'orders',
  id: 'o1',
  address: '127.0.0.1:9500',
  locality: { region: 'eu', zone: 'eu-1' },
});
const topology: TopologyReport = { locality: orders.locality, known: true, sources: [] };

function view(clock: FakeClock, refusals: Refusals, overrides: Partial<RegistrarView> = {}): RegistrarView {
  return {
    registryUrl: 'http://127.0.0.1:7070',
    state: 'registered',
    leaseId: 'L1',
    ttlMs: 3_000,
    breaker: 'closed',
    topology,
    instances: [orders],
    holdsLease: true,
    refusals: refusals.list(),
    now: clock.now(),
    ...overrides,
  };
}

const holder = new ProximaError(
  'ALREADY_EXISTS',
  'instance orders/o1 is registered by "bob"; "alice" may not replace it',
);

describe('registrar explain', () => {
  it('keeps the start of a run of refusals, counts them, and says how long (fake clock)', async () => {
    const clock = new FakeClock();
    const refusals = new Refusals(clock);
    expect(refusals.note(orders, holder, 'restore')).toBe(true);
    await clock.advance(2_500);
    expect(refusals.note(orders, holder, 'restore')).toBe(false);
    const x = explainRegistrar(view(clock, refusals));
    expect(x.refused).toEqual([
      {
        instance: 'orders/o1',
        code: 'ALREADY_EXISTS',
        status: 409,
        reason: holder.message,
        phase: 'restore',
        since: '2026-01-01T00:00:00.000Z',
        forMs: 2_500,
        count: 2,
        action: expect.stringMatching(
          /another identity's live lease .*; retried at every keep-alive \(every 1s\)$/,
        ),
      },
    ]);
    expect(x.instances[0]?.state).toBe('refused');
    expect(formatRegistrarExplanation(x).split('\n')).toEqual([
      'registrar registered · lease L1 (ttl 3s) · breaker closed',
      'instance orders/o1 127.0.0.1:9500 eu/eu-1 UP · refused',
      expect.stringMatching(
        /^refused orders\/o1: 409 ALREADY_EXISTS since 2026-01-01T00:00:00\.000Z \(2\.5s, 2 times\): instance orders\/o1 is registered by "bob"; "alice" may not replace it → /,
      ),
    ]);
    // A success ends the run: a later refusal starts a new one.
    refusals.delete('orders/o1');
    expect(explainRegistrar(view(clock, refusals)).refused).toEqual([]);
    await clock.advance(1_000);
    expect(refusals.note(orders, holder, 'register')).toBe(true);
    expect(explainRegistrar(view(clock, refusals)).refused[0]).toMatchObject({
      since: '2026-01-01T00:00:03.500Z',
      count: 1,
    });
  });

  it('says whether and how the registrar retries, by state and phase', () => {
    const clock = new FakeClock();
    const refusals = new Refusals(clock);
    refusals.note(orders, new ProximaError('PERMISSION_DENIED', '"alice" lacks write access'), 'register');
    const action = (overrides: Partial<RegistrarView>): string | undefined =>
      explainRegistrar(view(clock, refusals, overrides)).refused[0]?.action;
    expect(action({ state: 'registering', leaseId: undefined, holdsLease: false })).toMatch(
      /ACL file \(then SIGHUP the registry\).*; retried with backoff \(registration breaker closed\)$/,
    );
    expect(action({ state: 'closed', leaseId: undefined, holdsLease: false })).toMatch(
      /not retried: a refused first registration stops the registrar/,
    );
    // etcd: no HTTP status, etcd's remedy.
    const etcd = explainRegistrar(view(clock, refusals, { registryUrl: 'etcd://127.0.0.1:2379/p' }));
    expect(etcd.refused[0]?.status).toBeUndefined();
    expect(etcd.refused[0]?.action).toContain('grant its role readwrite on <prefix>/services/orders/');
    expect(formatRegistrarExplanation(etcd)).toContain('refused orders/o1: PERMISSION_DENIED since');
  });

  it('names an unknown zone, and no refusal line while everything is registered', () => {
    const clock = new FakeClock();
    const lost = parseInstance({ service: 'orders', id: 'o2', address: '127.0.0.1:9501' });
    const x = explainRegistrar(view(clock, new Refusals(clock), { instances: [lost] }));
    expect(x.topology).toMatch(/^service zone unknown/);
    expect(x.refused).toEqual([]);
    const text = formatRegistrarExplanation(x);
    expect(text).toContain('topology: service zone unknown');
    expect(text).toContain('instance orders/o2 127.0.0.1:9501 ?/? UP · registered');
    expect(text).not.toContain('refused');
  });
});
