import { type Clock, systemClock } from '../../core/clock.js';
import { toProximaError } from '../../core/errors.js';
import type { ClientInterceptor } from '../../rpc/client/interceptor.js';
import type { ServerInterceptor } from '../../rpc/server/context.js';
import { currentTrace, withTrace } from './context.js';
import type { SpanRecord, TraceHooks } from './span.js';
import {
  formatTraceparent,
  type IdGenerator,
  parseTraceparent,
  randomIds,
  SAMPLED_FLAG,
  type TraceContext,
  TRACEPARENT,
  TRACESTATE,
} from './trace-context.js';

/** Options shared by {@link traceClient} and {@link traceServer}. */
export interface TraceOptions {
  readonly hooks?: TraceHooks;
  readonly ids?: IdGenerator;
  /** Wall-clock source of span timestamps. */
  readonly clock?: Clock;
  /**
   * Whether a trace Proxima starts (no incoming or current context) is sampled: the trace-flags
   * bit downstream tracers honour. Default: every trace. Inherited contexts keep their flags.
   */
  readonly sampleRoot?: (method: string) => boolean;
}

/** Options of {@link traceClient}. */
export interface TraceClientOptions extends TraceOptions {
  /** Start a new trace for a call made outside any trace (default true); false sends nothing then. */
  readonly startTraces?: boolean;
}

/**
 * Client side: every attempt becomes a child span of the current trace context (the served call's,
 * {@link withTrace}'s, or `hooks.current()`) and carries it as W3C `traceparent` / `tracestate` in
 * the call's metadata. Retries and hedges are separate attempts, so each gets its own span id.
 *
 * @example
 * ```ts
 * const client = await createClient({ registry, interceptors: [traceClient({ hooks })] });
 * ```
 */
export function traceClient(options: TraceClientOptions = {}): ClientInterceptor {
  const { hooks = {}, ids = randomIds(), clock = systemClock, sampleRoot } = options;
  const startTraces = options.startTraces ?? true;
  return (next) => (method, request, callOptions) => {
    const parent = hooks.current?.() ?? currentTrace();
    if (parent === undefined && !startTraces) return next(method, request, callOptions);
    const context: TraceContext = {
      traceId: parent?.traceId ?? ids.traceId(),
      spanId: ids.spanId(),
      flags: parent?.flags ?? rootFlags(sampleRoot, method),
      state: parent?.state,
    };
    const metadata: Record<string, string> = {
      ...callOptions.metadata,
      [TRACEPARENT]: formatTraceparent(context),
    };
    if (context.state !== undefined) metadata[TRACESTATE] = context.state;
    const span = spanRecord('client', method, context, parent?.spanId, clock, {});
    return observe(hooks, span, clock, () => next(method, request, { ...callOptions, metadata }));
  };
}

/**
 * Server side: reads `traceparent` / `tracestate` from the call's metadata (a missing or malformed
 * one starts a new trace), opens a server span as its child and makes that span the current trace
 * context while the handler runs, so the handler's own calls continue the trace.
 *
 * @example
 * ```ts
 * const server = createServer({ services, interceptors: [traceServer({ hooks })] });
 * ```
 */
export function traceServer(options: TraceOptions = {}): ServerInterceptor {
  const { hooks = {}, ids = randomIds(), clock = systemClock, sampleRoot } = options;
  return (next) => (request, ctx) => {
    const incoming = parseTraceparent(ctx.metadata[TRACEPARENT], ctx.metadata[TRACESTATE]);
    const context: TraceContext = {
      traceId: incoming?.traceId ?? ids.traceId(),
      spanId: ids.spanId(),
      flags: incoming?.flags ?? rootFlags(sampleRoot, ctx.method),
      state: incoming?.state,
    };
    const span = spanRecord('server', ctx.method, context, incoming?.spanId, clock, {
      'client.address': ctx.peer.address,
    });
    const handle = (): Promise<unknown> => withTrace(context, () => next(request, ctx));
    return observe(hooks, span, clock, hooks.run === undefined ? handle : () => hooks.run!(context, handle));
  };
}

function rootFlags(sampleRoot: ((method: string) => boolean) | undefined, method: string): number {
  return sampleRoot === undefined || sampleRoot(method) ? SAMPLED_FLAG : 0;
}

function spanRecord(
  kind: SpanRecord['kind'],
  name: string,
  context: TraceContext,
  parentSpanId: string | undefined,
  clock: Clock,
  extra: Record<string, string>,
): SpanRecord {
  const dot = name.lastIndexOf('.');
  return {
    kind,
    name,
    context,
    parentSpanId,
    startMs: clock.wallNow(),
    attributes: {
      'rpc.system': 'proxima',
      'rpc.service': dot < 0 ? '' : name.slice(0, dot),
      'rpc.method': name.slice(dot + 1),
      ...extra,
    },
  };
}

/** Runs `call` between the span's start and end hooks (end exactly once, whatever happens). */
function observe<T>(hooks: TraceHooks, span: SpanRecord, clock: Clock, call: () => Promise<T>): Promise<T> {
  hooks.onStart?.(span);
  let pending: Promise<T>;
  try {
    pending = call();
  } catch (thrown) {
    pending = Promise.reject(thrown as Error);
  }
  const onEnd = hooks.onEnd;
  if (onEnd === undefined) return pending;
  return pending.then(
    (value) => {
      onEnd.call(hooks, span, { endMs: clock.wallNow(), code: 'OK', error: undefined });
      return value;
    },
    (thrown: unknown) => {
      const error = toProximaError(thrown);
      onEnd.call(hooks, span, { endMs: clock.wallNow(), code: error.code, error });
      throw thrown;
    },
  );
}
