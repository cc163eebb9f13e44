/**
 * W3C trace context carried in RPC metadata (`@proxima-rpc/proxima/tracing`), with no tracing SDK: interceptors
 * that continue or start a trace on each call, the current trace of an async context, and the
 * `traceparent` header codec. See docs/observability.md.
 */
export { traceClient, traceServer, type TraceClientOptions, type TraceOptions } from './propagation.js';
export { currentTrace, withTrace } from './context.js';
export { openTelemetryServer } from '../otel/server.js';
export { resolveOpenTelemetry } from '../otel/load.js';
export type { SpanEnd, SpanRecord, TraceHooks } from './span.js';
export {
  formatTraceparent,
  parseTraceparent,
  randomIds,
  type IdGenerator,
  type TraceContext,
} from './trace-context.js';
