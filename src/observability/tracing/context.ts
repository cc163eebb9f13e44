import { currentCallContext, withCallContext } from '../../resilience/deadline-context.js';
import type { TraceContext } from './trace-context.js';

/**
 * The trace context this code runs inside: the span of the call being served (set by
 * {@link traceServer}) or one set with {@link withTrace}. Stored beside the inherited deadline and
 * cancellation in the one call-context store, so a handler's nested calls inherit all three.
 */
export function currentTrace(): TraceContext | undefined {
  return currentCallContext()?.trace;
}

/**
 * Runs `fn` with `context` as the current trace context: calls made inside it, sync or async,
 * become its children. The deadline and signal of an enclosing call stay as they are.
 *
 * @example
 * ```ts
 * const root = { traceId: ids.traceId(), spanId: ids.spanId(), flags: SAMPLED_FLAG };
 * await withTrace(root, () => client.call('users', 'get', { id }));
 * ```
 */
export function withTrace<R>(context: TraceContext, fn: () => R): R {
  return withCallContext({ trace: context }, fn);
}
