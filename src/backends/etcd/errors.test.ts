import { BrokenCircuitError } from 'cockatiel';
import {
  EtcdLeaseInvalidError,
  EtcdPermissionDeniedError,
  GRPCDeadlineExceededError,
  GRPCResourceExhastedError,
  GRPCUnavailableError,
} from 'etcd3';
import { describe, expect, it } from 'vitest';
import { ProximaError } from '../../core/errors.js';
import { toEtcdError } from './errors.js';

describe('toEtcdError', () => {
  const code = (error: unknown): string => toEtcdError(error, 'etcd op').code;

  it('maps lost leases, transport trouble and refusals to stable codes', () => {
    expect(code(new EtcdLeaseInvalidError('7'))).toBe('LEASE_LOST');
    expect(code(new Error('etcdserver: requested lease not found'))).toBe('LEASE_LOST');
    expect(code(new GRPCUnavailableError('14 UNAVAILABLE: connect ECONNREFUSED'))).toBe('UNAVAILABLE');
    expect(code(new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED'))).toBe('UNAVAILABLE');
    expect(code(new BrokenCircuitError())).toBe('UNAVAILABLE');
    expect(code(new Error('etcdserver: request timed out'))).toBe('UNAVAILABLE');
    expect(code(new GRPCResourceExhastedError('etcdserver: too many requests'))).toBe('UNAVAILABLE');
    expect(code(new GRPCResourceExhastedError('etcdserver: mvcc: database space exceeded'))).toBe(
      'RESOURCE_EXHAUSTED',
    );
    expect(code(new Error('etcdserver: mvcc: required revision has been compacted'))).toBe('COMPACTED');
    expect(code(new EtcdPermissionDeniedError('etcdserver: permission denied'))).toBe('PERMISSION_DENIED');
    expect(code(new Error('something else'))).toBe('UNKNOWN');
  });

  it('keeps the cause and retryability, and passes Proxima errors through', () => {
    const cause = new GRPCUnavailableError('down');
    const error = toEtcdError(cause, 'etcd put /k');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('etcd put /k: down');
    expect(error.cause).toBe(cause);
    const own = new ProximaError('NOT_FOUND', 'gone');
    expect(toEtcdError(own, 'x')).toBe(own);
  });
});
