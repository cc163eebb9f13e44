import { isBrokenCircuitError, isTaskCancelledError } from 'cockatiel';
import {
  ClientClosedError,
  EtcdAuthenticationFailedError,
  EtcdInvalidAuthTokenError,
  EtcdLeaseInvalidError,
  EtcdPermissionDeniedError,
  GRPCFailedPreconditionError,
  GRPCInvalidArgumentError,
  GRPCResourceExhastedError,
  GRPCUnauthenticatedError,
  isRecoverableError,
} from 'etcd3';
import { ErrorCode, isProximaError, ProximaError } from '../../core/errors.js';

/** etcd's message when a watch asks for history that compaction removed. */
export const COMPACTED_MESSAGE = 'required revision has been compacted';

/**
 * True for etcd's "the lease is gone" answers: unknown lease (expired, revoked, never granted).
 * One predicate, so every path (keep-alive, put, revoke) agrees on what LEASE_LOST means.
 */
export function isLeaseGone(error: unknown): boolean {
  if (error instanceof EtcdLeaseInvalidError) return true;
  return error instanceof Error && error.message.includes('requested lease not found');
}

/**
 * Maps what the etcd3 client throws to a ProximaError with a stable code. Transport trouble,
 * timeouts, leader elections and open circuits are UNAVAILABLE (retryable): the caller may try again,
 * and the next attempt may reach a healthy member.
 *
 * @param what the operation, for the message (`etcd put /proxima/services/users/a`).
 */
export function toEtcdError(error: unknown, what: string): ProximaError {
  if (isProximaError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const make = (code: ErrorCode, retryable?: boolean): ProximaError =>
    new ProximaError(code, `${what}: ${message}`, {
      cause: error,
      ...(retryable === undefined ? {} : { retryable }),
    });
  if (isLeaseGone(error)) return make(ErrorCode.LEASE_LOST);
  if (message.includes(COMPACTED_MESSAGE)) return make(ErrorCode.COMPACTED);
  if (error instanceof ClientClosedError) return make(ErrorCode.CANCELLED, false);
  if (error instanceof EtcdPermissionDeniedError) return make(ErrorCode.PERMISSION_DENIED);
  if (
    error instanceof EtcdAuthenticationFailedError ||
    error instanceof EtcdInvalidAuthTokenError ||
    error instanceof GRPCUnauthenticatedError
  )
    return make(ErrorCode.UNAUTHENTICATED);
  if (/etcdserver: (request timed out|leader changed|no leader|too many requests)/.test(message))
    return make(ErrorCode.UNAVAILABLE);
  if (error instanceof GRPCInvalidArgumentError) return make(ErrorCode.INVALID_ARGUMENT);
  if (error instanceof GRPCFailedPreconditionError) return make(ErrorCode.FAILED_PRECONDITION);
  // "database space exceeded" and friends: an operator must act; retrying soon will not help.
  if (error instanceof GRPCResourceExhastedError) return make(ErrorCode.RESOURCE_EXHAUSTED);
  if (
    error instanceof Error &&
    (isRecoverableError(error) || isBrokenCircuitError(error) || isTaskCancelledError(error))
  )
    return make(ErrorCode.UNAVAILABLE);
  return make(ErrorCode.UNKNOWN);
}
