import type { Event } from '../../core/event.js';
import type { CallOptions, Transport, TransportState } from '../../transport/transport.js';

/** The shape of every client-side step, from interceptors down to the transport. */
export type ClientHandler = (method: string, request: unknown, options: CallOptions) => Promise<unknown>;

/**
 * Wraps the next step of an outgoing call: add metadata, log, time, translate errors. Interceptors
 * listed first run outermost.
 *
 * @example
 * ```ts
 * const traced: ClientInterceptor = (next) => (method, request, options) =>
 *   next(method, request, { ...options, metadata: { ...options.metadata, traceparent: current() } });
 * ```
 */
export type ClientInterceptor = (next: ClientHandler) => ClientHandler;

/** Composes interceptors around `handler`, the first one outermost. */
export function composeClient(
  interceptors: readonly ClientInterceptor[],
  handler: ClientHandler,
): ClientHandler {
  let next = handler;
  for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i]!(next);
  return next;
}

const NO_OPTIONS: CallOptions = Object.freeze({});

/**
 * A transport whose calls pass through `interceptors` first; state and close are the wrapped
 * transport's.
 *
 * @example
 * ```ts
 * const transport = withInterceptors(new RpcConnection({ host, port }), [bearerToken(token)]);
 * const users = bind(transport, UserApi);
 * ```
 */
export function withInterceptors(
  transport: Transport,
  interceptors: readonly ClientInterceptor[],
): Transport {
  const chain = composeClient(interceptors, (method, request, options) =>
    transport.call(method, request, options),
  );
  return {
    call: (method, payload, options) => chain(method, payload, options ?? NO_OPTIONS),
    get state(): TransportState {
      return transport.state;
    },
    get stateChanged(): Event<TransportState> {
      return transport.stateChanged;
    },
    close: () => transport.close(),
    [Symbol.asyncDispose]: () => transport.close(),
  };
}
