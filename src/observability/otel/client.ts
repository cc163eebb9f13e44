import type { Attributes, Span } from '@opentelemetry/api';
import type { Endpoint } from '../../balancer/picker.js';
import { attemptKind, type ObservedMethod } from '../../client/observer.js';
import { toProximaError } from '../../core/errors.js';
import { splitAddress } from '../../core/instance.js';
import type { Attempt, AttemptContext } from '../../resilience/policy.js';
import type { Metadata } from '../../transport/transport.js';
import { scopeOf } from '../pick-scope.js';
import type { Otel } from './load.js';

/** One logical call about to be traced. */
export interface TracedCall extends ObservedMethod {
  /** The caller's own metadata, sent with every attempt beside the propagated context. */
  readonly metadata: Metadata | undefined;
}

/**
 * Runs one logical client call in OpenTelemetry spans: an INTERNAL span `service/method` for the
 * call (a child of the active context), and a CLIENT span per attempt under it, whose context is
 * injected into the attempt's metadata by the propagator (W3C `traceparent` / `tracestate` by
 * default). Retries and hedges are attempt spans of their own, marked `proxima.attempt.kind`.
 * Attributes follow the OpenTelemetry RPC semantic conventions (`rpc.system`, `rpc.service`,
 * `rpc.method`, `server.address`, `server.port`, `error.type`) plus Proxima's routing facts
 * (`proxima.caller.zone`, `proxima.endpoint.zone`, `proxima.tier`, `proxima.attempt`, …).
 *
 * `run` executes the call under its policy with the traced attempt; `send` sends one attempt
 * with the metadata to put on the wire.
 */
export function traceClientCall<T>(
  otel: Otel,
  call: TracedCall,
  send: (endpoint: Endpoint, context: AttemptContext, metadata: Metadata) => Promise<T>,
  run: (attempt: Attempt<T>) => Promise<T>,
): Promise<T> {
  const { api, tracer, propagator } = otel;
  const name = `${call.service}/${call.method}`;
  const parent = api.context.active();
  const span = tracer.startSpan(
    name,
    {
      kind: api.SpanKind.INTERNAL,
      attributes: {
        'rpc.system': 'proxima',
        'rpc.service': call.service,
        'rpc.method': call.method,
        'proxima.fail_mode': call.failMode,
        'proxima.caller.zone': call.caller.zone,
        'proxima.caller.region': call.caller.region,
      },
    },
    parent,
  );
  const callContext = api.trace.setSpan(parent, span);
  let attempts = 0;
  const attempt: Attempt<T> = (endpoint, context) => {
    attempts++;
    const attemptSpan = tracer.startSpan(
      name,
      { kind: api.SpanKind.CLIENT, attributes: attemptAttributes(call, endpoint, context.attempt) },
      callContext,
    );
    const attemptContext = api.trace.setSpan(callContext, attemptSpan);
    const carrier: Record<string, string> = { ...call.metadata };
    propagator.inject(attemptContext, carrier, api.defaultTextMapSetter);
    return settle(otel, attemptSpan, () =>
      api.context.with(attemptContext, send, undefined, endpoint, context, carrier),
    );
  };
  return settle(
    otel,
    span,
    () => api.context.with(callContext, run, undefined, attempt),
    () => span.setAttribute('proxima.attempts', attempts),
  );
}

function attemptAttributes(call: TracedCall, endpoint: Endpoint, n: number): Attributes {
  const to = endpoint.instance.locality;
  const kind = attemptKind(call, n);
  const address = splitAddress(endpoint.instance.address);
  return {
    'rpc.system': 'proxima',
    'rpc.service': call.service,
    'rpc.method': call.method,
    ...(address === undefined ? {} : { 'server.address': address.host, 'server.port': address.port }),
    'proxima.endpoint.id': endpoint.id,
    'proxima.endpoint.zone': to.zone,
    'proxima.endpoint.region': to.region,
    'proxima.caller.zone': call.caller.zone,
    'proxima.tier': scopeOf(call.caller, to),
    'proxima.attempt': n,
    'proxima.attempt.kind': kind,
    'proxima.retried': kind === 'retry',
    'proxima.hedged': kind === 'hedge',
  };
}

/** Ends `span` when `fn`'s promise settles, with an error status and `error.type` on failure. */
export function settle<T>(otel: Otel, span: Span, fn: () => Promise<T>, before?: () => void): Promise<T> {
  let pending: Promise<T>;
  try {
    pending = fn();
  } catch (thrown) {
    pending = Promise.reject(thrown as Error);
  }
  return pending.then(
    (value) => {
      before?.();
      span.setAttribute('rpc.response.status_code', 'OK');
      span.end();
      return value;
    },
    (thrown: unknown) => {
      before?.();
      const error = toProximaError(thrown);
      span.setAttribute('error.type', error.code);
      span.setAttribute('rpc.response.status_code', error.code);
      span.setStatus({ code: otel.api.SpanStatusCode.ERROR, message: error.message });
      span.end();
      throw thrown;
    },
  );
}
