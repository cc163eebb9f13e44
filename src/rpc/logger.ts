/**
 * The logging surface the RPC layer needs: pino's `(object, message)` shape, so a pino logger
 * fits as is and tests can pass a recorder.
 */
export interface RpcLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  /** Connection-level events a peer causes (timeouts, limits); optional, pino has it. */
  debug?(fields: object, message?: string): void;
}

/** Drops everything. */
export const silentLogger: RpcLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
