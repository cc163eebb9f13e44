import { describe, expect, it } from 'vitest';
import { errorFromJson, isProximaError, ProximaError, toProximaError } from './errors.js';
import { parseDuration } from './duration.js';
import { parseInstance, splitAddress } from './instance.js';
import { FakeClock } from './testing/fake-clock.js';
import { sleep } from './clock.js';
import { Emitter, once } from './event.js';
import { seededRandom } from './random.js';

describe('errors', () => {
  it('carry a stable code, retryability and cause, and survive JSON', () => {
    const cause = new Error('econnrefused');
    const e = new ProximaError('UNAVAILABLE', 'down', { cause });
    expect(e.retryable).toBe(true);
    expect(e.cause).toBe(cause);
    expect(new ProximaError('INVALID_ARGUMENT', 'x').retryable).toBe(false);
    const back = errorFromJson(JSON.parse(JSON.stringify(e)));
    expect(back.code).toBe('UNAVAILABLE');
    expect(isProximaError(back)).toBe(true);
    expect(isProximaError(new Error('x'))).toBe(false);
    expect(errorFromJson({ code: 'NOPE' }).code).toBe('UNKNOWN');
    expect(toProximaError(new Error('boom')).code).toBe('INTERNAL');
  });
});

describe('durations', () => {
  it('parse units and reject garbage naming the field', () => {
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('42')).toBe(42);
    expect(() => parseDuration('5 parsecs', 'ttl')).toThrow(/ttl: expected a duration/);
  });
});

describe('instances', () => {
  it('fill defaults', () => {
    const i = parseInstance({ service: 'users', id: 'u-1', address: '127.0.0.1:9000' });
    expect(i).toEqual({
      service: 'users',
      id: 'u-1',
      address: '127.0.0.1:9000',
      protocol: 'proxima',
      locality: { region: '', zone: '', subzone: '' },
      weight: 100,
      metadata: {},
      status: 'UP',
    });
  });

  it('name the bad field', () => {
    expect(() => parseInstance({ service: 'users', id: 'u-1', address: 'nope' })).toThrow(
      /^instance\.address: /,
    );
    expect(() =>
      parseInstance({ service: 'users', id: 'u', address: '127.0.0.1:1', locality: { zone: 7 } }),
    ).toThrow(/instance\.locality\.zone/);
    expect(() => parseInstance({ service: 'users', id: 'u', address: '127.0.0.1:1', extra: 1 })).toThrow(
      /instance/,
    );
    try {
      parseInstance({ service: '', id: 'x', address: '127.0.0.1:1' });
    } catch (e) {
      expect((e as ProximaError).code).toBe('INVALID_ARGUMENT');
      expect((e as ProximaError).field).toBe('instance.service');
    }
  });

  it('split addresses including IPv6', () => {
    expect(splitAddress('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(splitAddress('example.internal:65535')).toEqual({ host: 'example.internal', port: 65535 });
    expect(splitAddress('h:0')).toBeUndefined();
    expect(splitAddress('h:70000')).toBeUndefined();
  });
});

describe('fake clock', () => {
  it('fires timers in order and honours abort', async () => {
    const clock = new FakeClock();
    const order: number[] = [];
    void sleep(clock, 20).then(() => order.push(20));
    void sleep(clock, 10).then(() => order.push(10));
    const ac = new AbortController();
    const aborted = sleep(clock, 5, ac.signal).catch(() => 'aborted');
    ac.abort(new Error('stop'));
    await clock.advance(25);
    expect(order).toEqual([10, 20]);
    expect(await aborted).toBe('aborted');
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('events and random', () => {
  it('emit to subscribers until disposed', async () => {
    const e = new Emitter<number>();
    const seen: number[] = [];
    const sub = e.event((v) => seen.push(v));
    const next = once(e.event);
    e.emit(1);
    sub[Symbol.dispose]();
    e.emit(2);
    expect(seen).toEqual([1]);
    expect(await next).toBe(1);
  });

  it('seeded random is reproducible', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});
