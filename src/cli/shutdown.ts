/**
 * SIGINT/SIGTERM as an AbortSignal: the first signal aborts it so the command shuts down cleanly
 * (drain, deregister, close); a second one means "now" and exits at once with 128 + signo.
 * Dispose to remove the handlers.
 */
export function shutdownOnSignals(
  proc: NodeJS.Process,
  onForce: (message: string) => void,
): { readonly signal: AbortSignal } & Disposable {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      controller.abort(new Error(`received ${name}`));
      return;
    }
    onForce(`received ${name} again: exiting without a clean shutdown`);
    proc.exit(name === 'SIGINT' ? 130 : 143);
  };
  proc.on('SIGINT', handler);
  proc.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    [Symbol.dispose]: () => {
      proc.off('SIGINT', handler);
      proc.off('SIGTERM', handler);
    },
  };
}

/** Resolves when `signal` aborts (immediately if it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
