import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { CallTracker, Endpoint, OutcomeKind } from '../balancer/picker.js';
import type { Clock } from '../core/clock.js';
import { ProximaError, toProximaError } from '../core/errors.js';
import type { EndpointPools } from './endpoint-pools.js';
import { RequestController } from './request-controller.js';
import type { ResponseHandler } from './response-handler.js';
import { isTimeout, isUnreachable, type RetryRules } from './retry-rules.js';
import type { ServiceRoutes } from '../routing/service-routes.js';

type Controller = Dispatcher.DispatchController;

/** What every request to one service shares. */
export interface RequestScope {
  readonly routes: ServiceRoutes;
  readonly pools: EndpointPools;
  readonly rules: RetryRules;
  readonly clock: Clock;
  /** How long a request waits for the service's first discovery snapshot. */
  readonly readyTimeoutMs: number;
  /** Aborted when the dispatcher closes: requests still waiting for discovery give up. */
  readonly closed: AbortSignal;
}

/** The attempt in progress: where it went and what the endpoint answered so far. */
interface Attempt {
  readonly endpoint: Endpoint;
  readonly tracker: CallTracker;
  readonly startedAt: number;
  /** Status of the response; 0 until its headers arrived. */
  status: number;
  /** Time to the response headers, ms. */
  headersMs: number;
}

/**
 * One request routed through Proxima: picks an endpoint per attempt from the service's router,
 * sends the attempt through that endpoint's pool, and stands between the pool and the caller's
 * handler. It reports each attempt's outcome to the endpoint's statistics (a 5xx status or a
 * connection error is a failure, other statuses are answers; latency is the time to the response
 * headers, and the call counts as in flight until the body ended), and moves the request to
 * another endpoint when {@link RetryRules} allow it. The caller sees one response, or one error.
 */
export class RoutedRequest implements ResponseHandler {
  private readonly controller: RequestController;
  private tried: Set<string> | undefined;
  private attempts = 0;
  private attempt: Attempt | undefined;
  private responded = false;
  private finished = false;
  private waiting: AbortController | undefined;

  /**
   * Runs a function in the caller's async context, taken when the request was dispatched: a retry
   * after a connection broke starts from that socket's callback, whose context is the one of the
   * request that opened the connection, and tracing that reads the active context (OpenTelemetry's
   * undici instrumentation, an AsyncLocalStorage) must see this request's on every attempt.
   */
  private readonly inCallerContext = AsyncLocalStorage.snapshot();

  constructor(
    private readonly scope: RequestScope,
    private readonly options: Dispatcher.DispatchOptions,
    private readonly handler: ResponseHandler,
  ) {
    this.controller = new RequestController((reason) => this.fail(reason));
  }

  /** Hands the caller its controller, then sends the first attempt. */
  start(): void {
    this.handler.onRequestStart?.(this.controller, {});
    this.next(undefined);
  }

  onRequestStart(controller: Controller): void {
    this.controller.attach(controller);
  }

  onRequestUpgrade(_c: Controller, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.settle(statusCode >= 500 ? 'failure' : 'success');
    this.finished = true;
    this.handler.onRequestUpgrade?.(this.controller, statusCode, headers, socket);
  }

  onResponseStart(_c: Controller, statusCode: number, headers: IncomingHttpHeaders, message?: string): void {
    const attempt = this.attempt;
    if (attempt !== undefined && statusCode >= 200) {
      attempt.status = statusCode;
      attempt.headersMs = this.scope.clock.now() - attempt.startedAt;
    }
    this.responded = true;
    this.handler.onResponseStart?.(this.controller, statusCode, headers, message);
  }

  onResponseData(_c: Controller, chunk: Buffer): void {
    this.handler.onResponseData?.(this.controller, chunk);
  }

  onResponseEnd(_c: Controller, trailers: IncomingHttpHeaders): void {
    const status = this.attempt?.status ?? 0;
    this.settle(status >= 500 ? 'failure' : status >= 400 ? 'app-error' : 'success');
    this.finished = true;
    this.controller.detach();
    this.handler.onResponseEnd?.(this.controller, trailers);
  }

  onResponseError(_c: Controller | undefined, error: Error): void {
    if (this.finished) return;
    const attempt = this.attempt;
    this.controller.detach();
    const { rules } = this.scope;
    const retry =
      !this.responded &&
      !this.controller.aborted &&
      rules.mayRetry(this.options.method, this.options.body, error, this.attempts);
    this.settle(this.errorOutcome(error));
    if (attempt !== undefined && isUnreachable(error)) this.scope.routes.reportFailed(attempt.endpoint.id);
    if (retry) this.inCallerContext(() => this.next(error));
    else this.fail(error);
  }

  /** Picks an endpoint that this request has not tried yet and sends the next attempt there. */
  private next(lastError: Error | undefined): void {
    if (this.finished) return;
    const { routes } = this.scope;
    const result = routes.router.pick(this.tried === undefined ? undefined : { exclude: this.tried });
    if (result.kind === 'wait') {
      if (this.waiting === undefined) this.waitForDiscovery();
      else this.fail(new ProximaError('UNAVAILABLE', `no routing table for service ${routes.service}`));
      return;
    }
    if (result.kind === 'fail') {
      this.fail(lastError ?? result.error);
      return;
    }
    const { endpoint, tracker } = result;
    (this.tried ??= new Set()).add(endpoint.id);
    this.attempts++;
    this.responded = false;
    this.attempt = { endpoint, tracker, startedAt: this.scope.clock.now(), status: 0, headersMs: -1 };
    this.scope.pools.get(endpoint.instance).dispatch(this.options, this);
  }

  /** The first request to a service waits (bounded) for discovery's first snapshot. */
  private waitForDiscovery(): void {
    const { routes, clock, readyTimeoutMs, closed } = this.scope;
    const waiting = (this.waiting = new AbortController());
    const timeout = new ProximaError(
      'UNAVAILABLE',
      `service ${routes.service}: no discovery answer in ${readyTimeoutMs} ms`,
    );
    const timer = clock.setTimeout(() => waiting.abort(timeout), readyTimeoutMs);
    const onClose = (): void => waiting.abort(new ProximaError('CANCELLED', 'the dispatcher was closed'));
    if (closed.aborted) onClose();
    else closed.addEventListener('abort', onClose, { once: true });
    const settled = (): void => {
      clock.clearTimeout(timer);
      closed.removeEventListener('abort', onClose);
    };
    routes.ready(waiting.signal).then(
      () => {
        settled();
        this.next(undefined);
      },
      (error: unknown) => {
        settled();
        this.fail(toProximaError(error, 'UNAVAILABLE'));
      },
    );
  }

  /** How an attempt that ended in `error` counts for its endpoint. */
  private errorOutcome(error: Error): OutcomeKind {
    const status = this.attempt?.status ?? 0;
    if (this.controller.aborted) {
      if (status === 0) return 'cancelled';
      return status >= 500 ? 'failure' : 'success';
    }
    return isTimeout(error) ? 'timeout' : 'failure';
  }

  /** Reports the current attempt's outcome once. */
  private settle(kind: OutcomeKind): void {
    const attempt = this.attempt;
    if (attempt === undefined) return;
    this.attempt = undefined;
    const now = this.scope.clock.now();
    const latency = attempt.headersMs >= 0 ? attempt.headersMs : now - attempt.startedAt;
    attempt.tracker.done(kind, kind === 'cancelled' ? 0 : latency, now);
  }

  /** Ends the request with `error` (once). */
  private fail(error: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.settle(this.controller.aborted ? 'cancelled' : 'failure');
    this.waiting?.abort(error);
    this.handler.onResponseError?.(this.controller, error);
  }
}
