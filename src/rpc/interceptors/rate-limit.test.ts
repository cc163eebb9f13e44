import { describe, expect, it } from 'vitest';
import { isProximaError } from '../../core/errors.js';
import { FakeClock } from '../../core/testing/fake-clock.js';
import type { CallContext } from '../server/context.js';
import { rateLimit } from './rate-limit.js';

const ctx = { method: 'users.get', peer: { address: '127.0.0.1', port: 1 } } as CallContext;

describe('rateLimit', () => {
  it('allows the burst, refuses with RESOURCE_EXHAUSTED (unprocessed), refills with time', async () => {
    const clock = new FakeClock();
    const handler = rateLimit({ perSecond: 10, burst: 2, clock })(async () => 'ok');
    expect(await handler({}, ctx)).toBe('ok');
    expect(await handler({}, ctx)).toBe('ok');
    const refused = await handler({}, ctx).catch((e: unknown) => e);
    expect(isProximaError(refused) && refused.code).toBe('RESOURCE_EXHAUSTED');
    expect(isProximaError(refused) && refused.unprocessed).toBe(true);
    await clock.advance(100);
    expect(await handler({}, ctx)).toBe('ok');
  });
});
