/**
 * One error family for all of Proxima. Every error has a stable `code` (the gRPC status family plus
 * a few of Proxima's own), a `retryable` flag that policies trust, and the cause chained.
 *
 * Identity does not rely on `instanceof`: two copies of the package in one process still recognise
 * each other's errors through {@link isProximaError} (a `Symbol.for` brand), as undici does.
 */
export const ErrorCode = {
  CANCELLED: 'CANCELLED',
  UNKNOWN: 'UNKNOWN',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  NOT_FOUND: 'NOT_FOUND',
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  RESOURCE_EXHAUSTED: 'RESOURCE_EXHAUSTED',
  FAILED_PRECONDITION: 'FAILED_PRECONDITION',
  ABORTED: 'ABORTED',
  OUT_OF_RANGE: 'OUT_OF_RANGE',
  UNIMPLEMENTED: 'UNIMPLEMENTED',
  INTERNAL: 'INTERNAL',
  UNAVAILABLE: 'UNAVAILABLE',
  DATA_LOSS: 'DATA_LOSS',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** A registry lease expired, was revoked, or is unknown to the registry. */
  LEASE_LOST: 'LEASE_LOST',
  /** A watch asked for revisions the registry no longer keeps (etcd compaction, server history). */
  COMPACTED: 'COMPACTED',
  /** The peer broke the wire protocol (malformed frame, oversized length, unknown type). */
  PROTOCOL_ERROR: 'PROTOCOL_ERROR',
  /** No endpoint could be picked for a service. */
  NO_ENDPOINTS: 'NO_ENDPOINTS',
  /** A circuit breaker is open. */
  CIRCUIT_OPEN: 'CIRCUIT_OPEN',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes that are safe to retry (on another endpoint) unless an error says otherwise. */
const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.UNAVAILABLE,
  ErrorCode.NO_ENDPOINTS,
  ErrorCode.CIRCUIT_OPEN,
  ErrorCode.LEASE_LOST,
]);

const BRAND = Symbol.for('proxima.error');

export interface ProximaErrorOptions {
  readonly cause?: unknown;
  /** Overrides the code's default retryability. */
  readonly retryable?: boolean;
  /** For INVALID_ARGUMENT: the dotted path of the offending field, e.g. `locality.zone`. */
  readonly field?: string;
  /**
   * True when the remote side never started processing the request (refused before dispatch,
   * GOAWAY, connection failed before the write). Such a call may be retried anywhere, even when the
   * method is not idempotent.
   */
  readonly unprocessed?: boolean;
  /**
   * True when the connection to the endpoint failed: refused, reset, connect timeout, keep-alive
   * timeout, closed before the answer. The endpoint is in trouble — a strike for outlier detection
   * and breakers — even when the call was `unprocessed` and so safe to retry anywhere. A graceful
   * refusal (GOAWAY, draining) is unprocessed without it. A fact about this process's own connection:
   * never carried over the wire (`toJSON` / `errorFromJson` leave it out).
   */
  readonly connectionFailed?: boolean;
}

/**
 * The error class of Proxima.
 *
 * @example
 * ```ts
 * throw new ProximaError('UNAVAILABLE', 'registry http://127.0.0.1:7070 unreachable', { cause: err });
 * ```
 */
export class ProximaError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly field: string | undefined;
  readonly unprocessed: boolean;
  readonly connectionFailed: boolean;

  constructor(code: ErrorCode, message: string, options: ProximaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProximaError';
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.field = options.field;
    this.unprocessed = options.unprocessed ?? false;
    this.connectionFailed = options.connectionFailed ?? false;
  }

  get [BRAND](): true {
    return true;
  }

  /** A plain JSON form, for HTTP bodies and RPC error frames. */
  toJSON(): ProximaErrorJson {
    const json: ProximaErrorJson = { code: this.code, message: this.message, retryable: this.retryable };
    if (this.field !== undefined) json.field = this.field;
    if (this.unprocessed) json.unprocessed = true;
    return json;
  }
}

export interface ProximaErrorJson {
  code: ErrorCode;
  message: string;
  retryable?: boolean;
  field?: string;
  unprocessed?: boolean;
}

/** True for any Proxima error, even one made by another copy of this package. */
export function isProximaError(value: unknown): value is ProximaError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** True when `value` is one of the stable error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && CODES.has(value);
}

/** Rebuilds an error from its JSON form (an HTTP body, an RPC error frame). Unknown codes become UNKNOWN. */
export function errorFromJson(json: unknown, fallbackMessage = 'remote error'): ProximaError {
  if (typeof json !== 'object' || json === null) return new ProximaError('UNKNOWN', fallbackMessage);
  const o = json as Record<string, unknown>;
  const code = isErrorCode(o.code) ? o.code : ErrorCode.UNKNOWN;
  const message = typeof o.message === 'string' ? o.message : fallbackMessage;
  const options: { retryable?: boolean; field?: string; unprocessed?: boolean } = {};
  if (typeof o.retryable === 'boolean') options.retryable = o.retryable;
  if (typeof o.field === 'string') options.field = o.field;
  if (o.unprocessed === true) options.unprocessed = true;
  return new ProximaError(code, message, options);
}

/** Wraps anything thrown into a ProximaError, keeping Proxima errors as they are. */
export function toProximaError(error: unknown, code: ErrorCode = ErrorCode.INTERNAL): ProximaError {
  if (isProximaError(error)) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new ProximaError(ErrorCode.CANCELLED, error.message, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ProximaError(code, message, { cause: error });
}

/** An INVALID_ARGUMENT error naming the field. */
export function invalidArgument(field: string, problem: string): ProximaError {
  return new ProximaError(ErrorCode.INVALID_ARGUMENT, `${field}: ${problem}`, { field });
}
