import type { Metadata } from '../../transport/transport.js';
import type { PeerIdentity } from '../tls/identity.js';

/** Who called. */
export interface Peer {
  readonly address: string;
  readonly port: number;
  /** True when the call came over TLS. */
  readonly tls: boolean;
  /**
   * The caller's certificate identity (subject CN and SANs), present only when it sent a client
   * certificate that the server's `tls.ca` verified (mutual TLS).
   */
  readonly identity?: PeerIdentity;
}

/**
 * What a handler (and a server interceptor) knows about the call it serves.
 *
 * `signal` aborts when the caller cancels, the deadline passes, or the server gives up on the call
 * at the end of a graceful shutdown; pass it to anything the handler awaits. It is created on
 * first access, so handlers that never look at it cost nothing.
 */
export interface CallContext {
  /** Wire name, `service.method`. */
  readonly method: string;
  readonly service: string;
  readonly methodName: string;
  readonly idempotent: boolean;
  readonly metadata: Metadata;
  readonly peer: Peer;
  readonly signal: AbortSignal;
  /** Ms left before the caller's deadline (for nested calls), or undefined without a deadline. */
  remainingMs(): number | undefined;
}

/** The shape of every server-side step, from interceptors down to the handler. */
export type ServerHandler = (request: unknown, ctx: CallContext) => Promise<unknown>;

/**
 * Wraps the next step: run code before and after it, short-circuit it, or replace its error.
 * Interceptors listed first run outermost.
 *
 * @example
 * ```ts
 * const timing: ServerInterceptor = (next) => async (request, ctx) => {
 *   const t0 = performance.now();
 *   try { return await next(request, ctx); } finally { metrics.observe(ctx.method, performance.now() - t0); }
 * };
 * ```
 */
export type ServerInterceptor = (next: ServerHandler) => ServerHandler;

/** Composes interceptors around `handler`, the first one outermost. */
export function composeServer(
  interceptors: readonly ServerInterceptor[],
  handler: ServerHandler,
): ServerHandler {
  let next = handler;
  for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i]!(next);
  return next;
}
