import { circuitBreaker, ConsecutiveBreaker, handleWhen, noop } from 'cockatiel';
import { Etcd3, type IOptions, isRecoverableError } from 'etcd3';
import { setMaxListeners } from 'node:events';
import { sleep } from '../../core/clock.js';
import { ErrorCode, isProximaError, ProximaError } from '../../core/errors.js';
import { fullJitterBackoff } from '../../resilience/backoff.js';
import { toEtcdError } from './errors.js';
import type { EtcdRegistryOptions } from './options.js';

/** How long a member that failed a call is skipped before one call probes it again. */
const MEMBER_PENALTY_MS = 1_000;
const RETRY_INITIAL_MS = 25;
const RETRY_MAX_MS = 400;

/**
 * One etcd client (a gRPC channel per member) and the call discipline every operation of the
 * backend goes through:
 *
 * - every unary attempt carries a gRPC deadline (`attemptTimeoutMs`), set per attempt by the etcd3
 *   client's call-options hook, so a member stuck behind a dead leader costs one attempt, not
 *   etcd's own multi-second request timeout;
 * - a member that fails is skipped for a second (a per-member circuit breaker), so a dead member
 *   costs one fast failure, after which calls go to the live ones;
 * - {@link EtcdConnection.call} retries UNAVAILABLE failures on another member with full-jitter
 *   backoff within `callTimeoutMs`, and never retries anything else (LEASE_LOST, denied, invalid).
 *
 * The etcd3 client's own global retry policy and lease auto keep-alive are not used: the retry
 * budget belongs here, and the keep-alive schedule belongs to the registrar.
 */
export class EtcdConnection {
  readonly client: Etcd3;
  /** Aborted by {@link close}: watches and waits end with it. */
  readonly closed: AbortSignal;
  private readonly closer = new AbortController();

  constructor(readonly options: EtcdRegistryOptions) {
    this.closed = this.closer.signal;
    // Every call in flight and every watch listens for close; there may be thousands.
    setMaxListeners(0, this.closed);
    this.client = new Etcd3(clientOptions(options));
  }

  /**
   * Runs `attempt` until it succeeds, fails with something other than UNAVAILABLE, the call budget
   * is spent, or `signal` (or closing the connection) aborts it. Errors come back as ProximaError.
   *
   * @param what names the operation in error messages (`etcd put <key>`).
   */
  async call<T>(what: string, attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal === undefined) return this.attempts(what, attempt, this.closed);
    // One controller linked by hand rather than AbortSignal.any: a registrar calls keepAlive with
    // the same long-lived signal every TTL/3 for the life of the process.
    const linked = new AbortController();
    const forward = (): void => linked.abort(signal.aborted ? signal.reason : this.closed.reason);
    if (signal.aborted || this.closed.aborted) forward();
    signal.addEventListener('abort', forward, { once: true });
    this.closed.addEventListener('abort', forward, { once: true });
    try {
      return await this.attempts(what, attempt, linked.signal);
    } finally {
      signal.removeEventListener('abort', forward);
      this.closed.removeEventListener('abort', forward);
    }
  }

  private async attempts<T>(what: string, attempt: () => Promise<T>, cancel: AbortSignal): Promise<T> {
    const { clock, callTimeoutMs, random } = this.options;
    const started = clock.now();
    let backoff = fullJitterBackoff({ initialMs: RETRY_INITIAL_MS, maxMs: RETRY_MAX_MS, random });
    for (;;) {
      throwIfAborted(cancel, what);
      let error: ProximaError;
      try {
        return await raceAbort(attempt(), cancel, what);
      } catch (thrown) {
        error = toEtcdError(thrown, what);
      }
      if (error.code !== ErrorCode.UNAVAILABLE) throw error;
      backoff = backoff.next();
      const spent = clock.now() - started;
      if (spent + backoff.delayMs >= callTimeoutMs) {
        throw new ProximaError(
          ErrorCode.UNAVAILABLE,
          `${error.message} (gave up after ${Math.round(spent)} ms)`,
          { cause: error },
        );
      }
      await sleep(clock, backoff.delayMs, cancel).catch(() => undefined);
    }
  }

  /** A gRPC deadline for one attempt of a streaming call made by hand (keep-alive). */
  attemptDeadline(): Date {
    return new Date(Date.now() + this.options.attemptTimeoutMs);
  }

  /** Closes every channel; calls in flight and watches end with CANCELLED. Idempotent. */
  close(): void {
    if (this.closed.aborted) return;
    this.closer.abort(
      new ProximaError(ErrorCode.CANCELLED, 'etcd registry client closed', { retryable: false }),
    );
    this.client.close();
  }
}

function clientOptions(options: EtcdRegistryOptions): IOptions {
  const scheme = options.tls === undefined ? 'http' : 'https';
  const clientOptions: IOptions = {
    hosts: options.endpoints.map((endpoint) => `${scheme}://${endpoint}`),
    // Unary calls get a fresh deadline per attempt; streams (watch, keep-alive) set their own.
    defaultCallOptions: (context) =>
      context.isStream ? {} : { deadline: new Date(Date.now() + options.attemptTimeoutMs) },
    faultHandling: {
      global: noop,
      host: () =>
        circuitBreaker(handleWhen(isRecoverableError), {
          halfOpenAfter: MEMBER_PENALTY_MS,
          breaker: new ConsecutiveBreaker(1),
        }),
    },
    grpcOptions: {
      // A restarted member is found again within a second or so, not after grpc's 2 min cap.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
    },
  };
  if (options.username !== undefined) {
    clientOptions.auth = { username: options.username, password: options.password ?? '' };
  }
  const { tls } = options;
  if (tls?.ca !== undefined) {
    clientOptions.credentials = {
      rootCertificate: tls.ca,
      ...(tls.key === undefined ? {} : { privateKey: tls.key }),
      ...(tls.cert === undefined ? {} : { certChain: tls.cert }),
    };
  }
  return clientOptions;
}

function throwIfAborted(signal: AbortSignal, what: string): void {
  if (signal.aborted) throw abortError(signal, what);
}

function abortError(signal: AbortSignal, what: string): ProximaError {
  const reason: unknown = signal.reason;
  if (isProximaError(reason)) return reason;
  return new ProximaError(ErrorCode.CANCELLED, `${what}: cancelled`, { cause: reason, retryable: false });
}

/** Settles with `promise`, or rejects CANCELLED as soon as `signal` aborts (the attempt runs out its deadline). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
