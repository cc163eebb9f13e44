import type { ServerHandler } from './context.js';
import type { RegisteredMethod } from './implement.js';
import type { ServedMethodObserver } from './observer.js';

/**
 * A method as the server dispatches it: the registration, its composed interceptor chain and its
 * observer (metrics bound once for the method), if any.
 */
export interface Route {
  readonly entry: RegisteredMethod;
  readonly chain: ServerHandler;
  readonly observer: ServedMethodObserver | undefined;
}
