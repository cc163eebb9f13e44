import type { TraceContext } from './trace-context.js';

/**
 * One finished or running span as Proxima sees it: enough to rebuild it in any tracer. Proxima
 * records nothing itself; {@link TraceHooks} hand spans to whoever does (an OpenTelemetry bridge,
 * a log line, a test).
 */
export interface SpanRecord {
  /** `client` for an outgoing attempt, `server` for a served call. */
  readonly kind: 'client' | 'server';
  /** The RPC wire name, `service.method`. */
  readonly name: string;
  readonly context: TraceContext;
  /** The span this one is a child of; undefined for a root span. */
  readonly parentSpanId: string | undefined;
  /** Wall-clock start, ms since the epoch. */
  readonly startMs: number;
  /** RPC attributes in OpenTelemetry's semantic-convention names (`rpc.system`, `rpc.service`, …). */
  readonly attributes: Readonly<Record<string, string | number>>;
}

/** How a span ended. */
export interface SpanEnd {
  readonly endMs: number;
  /** `OK`, or the ProximaError code the call failed with. */
  readonly code: string;
  readonly error: Error | undefined;
}

/**
 * Where spans go, and where the current context comes from: the seams an OpenTelemetry bridge
 * plugs into (see docs/observability.md). Every hook is optional.
 *
 * @example
 * ```ts
 * const hooks: TraceHooks = {
 *   onEnd: (span, end) => logger.info({ trace: span.context.traceId, ms: end.endMs - span.startMs }, span.name),
 * };
 * ```
 */
export interface TraceHooks {
  /** A span started (before the call is sent / before the handler runs). */
  onStart?(span: SpanRecord): void;
  /** The span ended. Called exactly once per started span. */
  onEnd?(span: SpanRecord, end: SpanEnd): void;
  /**
   * The context outgoing calls are children of, instead of Proxima's own (for example the active
   * OpenTelemetry span's context). Return undefined to fall back to Proxima's.
   */
  current?(): TraceContext | undefined;
  /**
   * Runs a served call's handler with `context` current in the caller's tracer too (for example
   * `otelContext.with(trace.setSpanContext(...), fn)`). Proxima's own context is set either way.
   */
  run?<R>(context: TraceContext, fn: () => R): R;
}
