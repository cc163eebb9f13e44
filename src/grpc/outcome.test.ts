import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { outcomeOfStatus } from './outcome.js';
import { serviceOfTarget } from './resolver.js';

describe('outcomeOfStatus', () => {
  it('maps gRPC statuses to endpoint outcomes (Envoy gRPC → 5xx mapping for strikes)', () => {
    expect(outcomeOfStatus(status.OK)).toBe('success');
    expect(outcomeOfStatus(status.CANCELLED)).toBe('cancelled');
    expect(outcomeOfStatus(status.DEADLINE_EXCEEDED)).toBe('timeout');
    for (const code of [status.UNAVAILABLE, status.INTERNAL, status.UNKNOWN, status.DATA_LOSS])
      expect(outcomeOfStatus(code)).toBe('failure');
    for (const code of [
      status.NOT_FOUND,
      status.INVALID_ARGUMENT,
      status.PERMISSION_DENIED,
      status.UNIMPLEMENTED,
    ])
      expect(outcomeOfStatus(code)).toBe('app-error');
  });
});

describe('serviceOfTarget', () => {
  it('reads the service from the target path', () => {
    expect(serviceOfTarget({ scheme: 'proxima', authority: '', path: 'users' })).toBe('users');
    expect(serviceOfTarget({ scheme: 'proxima', path: 'users.v2' })).toBe('users.v2');
  });

  it('throws INVALID_ARGUMENT naming the target', () => {
    expect(() => serviceOfTarget({ scheme: 'proxima', path: 'a/b' })).toThrow(/^target/);
  });
});
