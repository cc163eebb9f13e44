import type { ServerInterceptor } from '../../rpc/server/context.js';
import { settle } from './client.js';
import type { Otel } from './load.js';

/**
 * Server side of OpenTelemetry tracing: extracts the caller's context from the call's metadata
 * through the propagator (W3C `traceparent` / `tracestate` by default), starts a SERVER span
 * `service/method` as its child and makes it the active context while the handler runs, so the
 * handler's own spans and outgoing calls continue the trace. `createServer` adds it when
 * OpenTelemetry is on.
 *
 * @example
 * ```ts
 * const otel = await resolveOpenTelemetry(true, 'server.openTelemetry');
 * const server = createServer({ services, interceptors: [openTelemetryServer(otel!)] });
 * ```
 */
export function openTelemetryServer(otel: Otel): ServerInterceptor {
  const { api, tracer, propagator } = otel;
  return (next) => (request, ctx) => {
    const parent = propagator.extract(api.context.active(), ctx.metadata, api.defaultTextMapGetter);
    const span = tracer.startSpan(
      `${ctx.service}/${ctx.methodName}`,
      {
        kind: api.SpanKind.SERVER,
        attributes: {
          'rpc.system': 'proxima',
          'rpc.service': ctx.service,
          'rpc.method': ctx.methodName,
          'client.address': ctx.peer.address,
          'client.port': ctx.peer.port,
          'network.peer.address': ctx.peer.address,
          'network.peer.port': ctx.peer.port,
        },
      },
      parent,
    );
    const active = api.trace.setSpan(parent, span);
    return settle(otel, span, () => api.context.with(active, next, undefined, request, ctx));
  };
}
