import type { RpcServer, ShutdownOptions } from './server.js';

export interface ShutdownSignalOptions extends ShutdownOptions {
  /** Default `['SIGTERM', 'SIGINT']`. */
  readonly signals?: readonly NodeJS.Signals[];
  /** Called after the shutdown finished (e.g. `() => process.exit(0)`); errors go to `onError`. */
  readonly onDone?: () => void;
  readonly onError?: (error: unknown) => void;
}

/**
 * Opt-in: shut the server down gracefully on SIGTERM/SIGINT, as orchestrators expect. Returns a
 * Disposable that removes the handlers.
 *
 * @example
 * ```ts
 * using _signals = shutdownOnSignals(server, { graceMs: 5_000, onDone: () => process.exit(0) });
 * ```
 */
export function shutdownOnSignals(server: RpcServer, options: ShutdownSignalOptions = {}): Disposable {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const handler = (): void => {
    server.shutdown(options).then(
      () => options.onDone?.(),
      (error: unknown) => options.onError?.(error),
    );
  };
  for (const signal of signals) process.on(signal, handler);
  return {
    [Symbol.dispose]: () => {
      for (const signal of signals) process.off(signal, handler);
    },
  };
}
