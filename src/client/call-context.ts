import { type Clock, systemClock } from '../core/clock.js';
import { Deadline } from '../resilience/deadline.js';
import { withCallContext } from '../resilience/deadline-context.js';
import type { ServerInterceptor } from '../rpc/server/context.js';

/**
 * A server interceptor that makes the call being served the context of every call its handler
 * makes: a nested `client.call` inherits the time left before the caller's deadline (and is
 * cancelled with the served call), so a chain of services never works past what the first caller
 * waits for. Proxima's {@link createServer} installs it outermost by default.
 *
 * @example
 * ```ts
 * const server = createRpcServer({ services, interceptors: [propagateCallContext()] });
 * // inside a handler: `await client.call('users', 'get', req)` gets the remaining deadline
 * ```
 */
export function propagateCallContext(options: { readonly clock?: Clock } = {}): ServerInterceptor {
  const clock = options.clock ?? systemClock;
  return (next) => (request, ctx) => {
    const remaining = ctx.remainingMs();
    const deadline = remaining === undefined ? undefined : Deadline.after(clock, remaining);
    return withCallContext({ deadline, signal: ctx.signal }, () => next(request, ctx));
  };
}
