import { type Clock, systemClock } from '../core/clock.js';
import { withServedCall } from '../resilience/deadline-context.js';
import type { ServerInterceptor } from '../rpc/server/context.js';

/**
 * A server interceptor that makes the call being served the context of every call its handler
 * makes: a nested `client.call` inherits the time left before the caller's deadline (and is
 * cancelled with the served call), so a chain of services never works past what the first caller
 * waits for. Both are read from the served call only when a nested call needs them, so serving a
 * call costs no clock read, timer or AbortController. Proxima's {@link createServer} installs it
 * outermost by default.
 *
 * @example
 * ```ts
 * const server = createRpcServer({ services, interceptors: [propagateCallContext()] });
 * // inside a handler: `await client.call('users', 'get', req)` gets the remaining deadline
 * ```
 */
export function propagateCallContext(options: { readonly clock?: Clock } = {}): ServerInterceptor {
  const clock = options.clock ?? systemClock;
  return (next) => (request, ctx) => withServedCall(ctx, clock, () => next(request, ctx));
}
