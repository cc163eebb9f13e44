import type { ServerHandler } from './context.js';
import type { RegisteredMethod } from './implement.js';

/** A method as the server dispatches it: the registration plus its composed interceptor chain. */
export interface Route {
  readonly entry: RegisteredMethod;
  readonly chain: ServerHandler;
}
