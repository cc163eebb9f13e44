import {
  InterceptingCall,
  type Metadata,
  ServerInterceptingCall,
  status as grpcStatus,
  type Interceptor,
  type InterceptorOptions,
  type ServerInterceptor,
  type StatusObject,
} from '@grpc/grpc-js';
import type { Attributes, Context, Span, TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import type { Endpoint } from '../balancer/picker.js';
import { splitAddress } from '../core/instance.js';
import type { Locality } from '../core/locality.js';
import { type OpenTelemetrySetting, type Otel, resolveOpenTelemetry } from '../observability/otel/load.js';
import { scopeOf } from '../observability/pick-scope.js';
import type { PickNotes } from './pick-notes.js';

/** OpenTelemetry's carrier accessors for grpc-js `Metadata` (a text map with repeated keys). */
const metadataSetter: TextMapSetter<Metadata> = {
  set: (metadata, key, value) => metadata.set(key, value),
};
const metadataGetter: TextMapGetter<Metadata> = {
  get: (metadata, key) => {
    const values = metadata.get(key).filter((v): v is string => typeof v === 'string');
    return values.length === 0 ? undefined : values;
  },
  keys: (metadata) => Object.keys(metadata.getMap()),
};

/** `/package.Service/Method` → the RPC semantic conventions' `rpc.service` and `rpc.method`. */
function splitPath(path: string): { service: string; method: string } {
  const slash = path.lastIndexOf('/');
  return { service: path.slice(1, Math.max(1, slash)), method: path.slice(slash + 1) };
}

/** A status code's name (`UNAVAILABLE`), as Proxima's own spans report `rpc.response.status_code`. */
function statusName(code: number): string {
  return grpcStatus[code] ?? String(code);
}

/**
 * A grpc-js client interceptor that runs each call in an OpenTelemetry CLIENT span: a child of the
 * context active when the call was made, named `package.Service/Method`, with the RPC semantic
 * conventions (`rpc.system` = `grpc`, `rpc.service`, `rpc.method`, `rpc.grpc.status_code`) and,
 * when the call goes through a `proxima:///` channel of the registration that made it, Proxima's
 * routing facts from the pick (`server.address`, `server.port`, `proxima.endpoint.*`, `proxima.tier`,
 * and one `proxima.pick` event per pick: grpc-js retries and hedges pick again). The span's
 * context is injected into the call's metadata by the propagator (W3C `traceparent` /
 * `tracestate` by default), and the span ends with the call's status (ERROR unless OK).
 */
export function openTelemetryClientInterceptor(otel: Otel, caller: Locality, picks: PickNotes): Interceptor {
  const { api, tracer, propagator } = otel;
  return (options: InterceptorOptions, nextCall) => {
    const { service, method } = splitPath(options.method_definition.path);
    const parent = api.context.active();
    const span = tracer.startSpan(
      `${service}/${method}`,
      {
        kind: api.SpanKind.CLIENT,
        attributes: {
          'rpc.system': 'grpc',
          'rpc.service': service,
          'rpc.method': method,
          'proxima.caller.zone': caller.zone,
          'proxima.caller.region': caller.region,
        },
      },
      parent,
    );
    const active = api.trace.setSpan(parent, span);
    let pickCount = 0;
    const onPick = (endpoint: Endpoint): void => {
      pickCount++;
      const attributes = pickAttributes(caller, endpoint, pickCount);
      span.setAttributes(attributes);
      span.addEvent('proxima.pick', attributes);
    };
    let token: string | undefined;
    return new InterceptingCall(nextCall(options), {
      start: (metadata, _listener, next) => {
        propagator.inject(active, metadata, metadataSetter);
        token = picks.listen(metadata, onPick);
        next(metadata, {
          onReceiveStatus: (status: StatusObject, nextStatus: (status: StatusObject) => void) => {
            if (token !== undefined) picks.forget(token);
            endSpan(otel, span, status.code, status.details);
            nextStatus(status);
          },
        });
      },
    });
  };
}

function pickAttributes(caller: Locality, endpoint: Endpoint, n: number): Attributes {
  const to = endpoint.instance.locality;
  const address = splitAddress(endpoint.instance.address);
  return {
    ...(address === undefined ? {} : { 'server.address': address.host, 'server.port': address.port }),
    'proxima.endpoint.id': endpoint.id,
    'proxima.endpoint.zone': to.zone,
    'proxima.endpoint.region': to.region,
    'proxima.tier': scopeOf(caller, to),
    'proxima.attempt': n,
  };
}

function endSpan(otel: Otel, span: Span, code: number, details: string): void {
  span.setAttribute('rpc.grpc.status_code', code);
  span.setAttribute('rpc.response.status_code', statusName(code));
  if (code !== grpcStatus.OK) {
    span.setAttribute('error.type', statusName(code));
    span.setStatus({ code: otel.api.SpanStatusCode.ERROR, message: details });
  }
  span.end();
}

/**
 * A grpc-js server interceptor (`new grpc.Server({ interceptors })`) that extracts the caller's
 * context from the call's metadata through the propagator, starts a SERVER span
 * `package.Service/Method` as its child, and makes it the active context while grpc-js delivers the
 * call to the handler, so the handler's spans and outgoing calls continue the trace. The span ends
 * with the status the handler sent (ERROR for the codes the semantic conventions count as server
 * errors: UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS) or when the
 * call is cancelled.
 */
export function openTelemetryServerInterceptor(otel: Otel): ServerInterceptor {
  const { api, tracer, propagator } = otel;
  return (methodDescriptor, call) => {
    const { service, method } = splitPath(methodDescriptor.path);
    let span: Span | undefined;
    let active: Context | undefined;
    const inSpan = <A extends unknown[]>(fn: (...args: A) => void, ...args: A): void => {
      if (active === undefined) fn(...args);
      else api.context.with(active, fn, undefined, ...args);
    };
    const end = (code: number, details: string): void => {
      if (span === undefined) return;
      const ended = span;
      span = undefined;
      ended.setAttribute('rpc.grpc.status_code', code);
      ended.setAttribute('rpc.response.status_code', statusName(code));
      if (SERVER_ERRORS.has(code)) {
        ended.setAttribute('error.type', statusName(code));
        ended.setStatus({ code: api.SpanStatusCode.ERROR, message: details });
      }
      ended.end();
    };
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            const parent = propagator.extract(api.context.active(), metadata, metadataGetter);
            const peer = splitAddress(call.getPeer());
            span = tracer.startSpan(
              `${service}/${method}`,
              {
                kind: api.SpanKind.SERVER,
                attributes: {
                  'rpc.system': 'grpc',
                  'rpc.service': service,
                  'rpc.method': method,
                  ...(peer === undefined
                    ? {}
                    : {
                        'client.address': peer.host,
                        'client.port': peer.port,
                        'network.peer.address': peer.host,
                        'network.peer.port': peer.port,
                      }),
                },
              },
              parent,
            );
            active = api.trace.setSpan(parent, span);
            inSpan(nextMetadata, metadata);
          },
          onReceiveMessage: (message: unknown, nextMessage: (message: unknown) => void) =>
            inSpan(nextMessage, message),
          onReceiveHalfClose: (nextHalfClose) => inSpan(nextHalfClose),
          onCancel: () => end(grpcStatus.CANCELLED, 'cancelled by the client'),
        });
      },
      sendStatus: (status, nextStatus) => {
        end(status.code ?? grpcStatus.OK, status.details ?? '');
        nextStatus(status);
      },
    });
  };
}

/** Server-side codes that mark the span as an error (OpenTelemetry's gRPC conventions). */
const SERVER_ERRORS: ReadonlySet<number> = new Set([
  grpcStatus.UNKNOWN,
  grpcStatus.DEADLINE_EXCEEDED,
  grpcStatus.UNIMPLEMENTED,
  grpcStatus.INTERNAL,
  grpcStatus.UNAVAILABLE,
  grpcStatus.DATA_LOSS,
]);

/** Options of {@link serverInterceptors}. */
export interface GrpcServerTracingOptions {
  /**
   * OpenTelemetry SERVER spans for every call (see {@link openTelemetryServerInterceptor}). Default:
   * on when `@opentelemetry/api` is installed and an SDK registered a global tracer provider.
   */
  readonly openTelemetry?: OpenTelemetrySetting;
}

/**
 * The interceptors to give a grpc-js server so its calls continue the callers' traces: the
 * OpenTelemetry server interceptor when OpenTelemetry is on, none otherwise (nothing is loaded
 * without `@opentelemetry/api`).
 *
 * @example
 * ```ts
 * const server = new grpc.Server({ interceptors: await serverInterceptors() });
 * ```
 */
export async function serverInterceptors(
  options: GrpcServerTracingOptions = {},
): Promise<ServerInterceptor[]> {
  const otel = await resolveOpenTelemetry(options.openTelemetry, 'grpcServer.openTelemetry');
  return otel === undefined ? [] : [openTelemetryServerInterceptor(otel)];
}
