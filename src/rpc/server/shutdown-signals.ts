import { onShutdownSignals, type SignalShutdownOptions } from '../../core/signals.js';
import type { RpcServer, ShutdownOptions } from './server.js';

export interface ShutdownSignalOptions extends ShutdownOptions, Omit<SignalShutdownOptions, 'process'> {}

/**
 * Opt-in: shut the server down gracefully on SIGTERM/SIGINT, as orchestrators expect (the one
 * signal rule of {@link onShutdownSignals}: a second signal, or a shutdown still running
 * `deadlineMs` after the first, exits at once). The deadline defaults to the larger of 30 s and
 * `graceMs` + 10 s. Returns a Disposable that removes the handlers, and the `signal` the first
 * SIGINT/SIGTERM aborts.
 *
 * @example
 * ```ts
 * using _signals = shutdownOnSignals(server, { graceMs: 5_000, onDone: () => process.exit(0) });
 * ```
 */
export function shutdownOnSignals(
  server: RpcServer,
  options: ShutdownSignalOptions = {},
): Disposable & { readonly signal: AbortSignal } {
  const graceMs = options.graceMs ?? 10_000;
  return onShutdownSignals(() => server.shutdown(options), {
    ...options,
    deadlineMs: options.deadlineMs ?? Math.max(30_000, graceMs + 10_000),
  });
}
