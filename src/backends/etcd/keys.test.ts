import { describe, expect, it } from 'vitest';
import { parseInstance } from '../../core/instance.js';
import { decodeInstance, encodeInstance, KeyLayout, prefixRange } from './keys.js';

describe('etcd key layout', () => {
  const keys = new KeyLayout('/proxima');

  it('puts each instance at <prefix>/services/<service>/<id> and splits keys back', () => {
    expect(keys.instanceKey('users', '10.0.0.7:7000')).toBe('/proxima/services/users/10.0.0.7:7000');
    expect(keys.parse(Buffer.from('/proxima/services/users/u1'))).toEqual({ service: 'users', id: 'u1' });
    expect(keys.parse('/proxima/services/users/u1/extra')).toBeUndefined();
    expect(keys.parse('/proxima/services/users/')).toBeUndefined();
    expect(keys.parse('/other/services/users/u1')).toBeUndefined();
  });

  it('a prefix range holds exactly the keys that start with the prefix', () => {
    const { key, range_end } = prefixRange(keys.servicePrefix('users'));
    expect(key.toString()).toBe('/proxima/services/users/');
    expect(range_end.toString()).toBe('/proxima/services/users0');
    const inRange = (k: string): boolean =>
      Buffer.compare(Buffer.from(k), key) >= 0 && Buffer.compare(Buffer.from(k), range_end) < 0;
    expect(inRange('/proxima/services/users/a')).toBe(true);
    expect(inRange('/proxima/services/users-v2/a')).toBe(false);
    expect(inRange('/proxima/services/user/a')).toBe(false);
    expect(prefixRange('\u00ff').range_end).toEqual(Buffer.from([0xc3, 0xc0]));
  });

  it('stores the instance as JSON and reads back only valid values that match their key', () => {
    const instance = parseInstance({ service: 'users', id: 'u1', address: '10.0.0.7:7000' });
    const value = encodeInstance(instance);
    expect(JSON.parse(value.toString())).toEqual(instance);
    expect(decodeInstance(value, { service: 'users', id: 'u1' })).toEqual(instance);
    // A newer writer's extra field is ignored, not fatal.
    const newer = Buffer.from(JSON.stringify({ ...instance, shard: 3 }));
    expect(decodeInstance(newer, { service: 'users', id: 'u1' })).toEqual(instance);
    expect(decodeInstance(value, { service: 'users', id: 'u2' })).toBeUndefined();
    expect(decodeInstance(Buffer.from('not json'), { service: 'users', id: 'u1' })).toBeUndefined();
    expect(decodeInstance(Buffer.from('[1]'), { service: 'users', id: 'u1' })).toBeUndefined();
    const bad = Buffer.from(JSON.stringify({ ...instance, address: 'nowhere' }));
    expect(decodeInstance(bad, { service: 'users', id: 'u1' })).toBeUndefined();
  });
});
