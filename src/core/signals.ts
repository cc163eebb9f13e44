import { constants } from 'node:os';

/** The slice of `process` the shutdown helper uses (tests may pass their own). */
export interface SignalProcess {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

/** Options of {@link onShutdownSignals}. */
export interface SignalShutdownOptions {
  /** The signals that mean "shut down". Default `['SIGINT', 'SIGTERM']`. */
  readonly signals?: readonly NodeJS.Signals[];
  /**
   * How long the graceful close may take after the first signal; past it the process exits with
   * 128 + the signal's number. Default 30 000 ms (Kubernetes' default grace period, after which
   * the kubelet would SIGKILL anyway); `Infinity` waits for ever.
   */
  readonly deadlineMs?: number;
  /** Told why the process is leaving without a clean shutdown. Default: a line on stderr. */
  readonly onForce?: (message: string) => void;
  /** Called once the close finished (e.g. `() => process.exit(0)`). */
  readonly onDone?: () => void;
  /** Called when the close failed. Default: the error on stderr, exit code 1. */
  readonly onError?: (error: unknown) => void;
  /** Default the global `process`. */
  readonly process?: SignalProcess;
}

/** A live signal hook: dispose it to remove the listeners (the close does that itself). */
export interface SignalShutdown extends Disposable {
  /** Aborted by the first signal, with an Error naming it (`received SIGTERM`). */
  readonly signal: AbortSignal;
}

/** The exit status of a process ended by `signal` (shells report 130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 15);
}

/**
 * The one shutdown-on-signal rule of Proxima. The first SIGINT/SIGTERM aborts {@link
 * SignalShutdown.signal} and runs `close` (when given); a close that outlives `deadlineMs`, or a
 * second signal, means "now": the process exits with 128 + the signal number. When the close
 * ends, the listeners are removed (a later signal gets Node's default) and `onDone` runs.
 * Without `close`, the owner ends the shutdown by disposing the hook.
 *
 * @example
 * ```ts
 * using _signals = onShutdownSignals(() => server.close(), { onDone: () => process.exit(0) });
 * ```
 */
export function onShutdownSignals(
  close?: () => Promise<unknown> | unknown,
  options: SignalShutdownOptions = {},
): SignalShutdown {
  const proc = options.process ?? process;
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const deadlineMs = options.deadlineMs ?? 30_000;
  const onForce = options.onForce ?? ((message: string) => process.stderr.write(`${message}\n`));
  const controller = new AbortController();
  let deadline: NodeJS.Timeout | undefined;
  let removed = false;

  const remove = (): void => {
    if (removed) return;
    removed = true;
    clearTimeout(deadline);
    for (const name of signals) proc.off(name, handler);
  };
  const force = (message: string, name: NodeJS.Signals): void => {
    remove();
    onForce(message);
    proc.exit(signalExitCode(name));
  };
  function handler(name: NodeJS.Signals): void {
    if (controller.signal.aborted) {
      force(`received ${name} again: exiting without a clean shutdown`, name);
      return;
    }
    controller.abort(new Error(`received ${name}`));
    if (Number.isFinite(deadlineMs)) {
      deadline = setTimeout(
        () => force(`shutdown did not finish within ${deadlineMs} ms of ${name}: exiting`, name),
        deadlineMs,
      );
      // The deadline must not keep an otherwise finished process alive.
      deadline.unref();
    }
    if (close === undefined) return;
    void (async () => {
      try {
        await close();
      } catch (error) {
        remove();
        if (options.onError !== undefined) options.onError(error);
        else {
          process.stderr.write(
            `shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`,
          );
          proc.exit(1);
        }
        return;
      }
      remove();
      options.onDone?.();
    })();
  }

  for (const name of signals) proc.on(name, handler);
  return { signal: controller.signal, [Symbol.dispose]: remove };
}

/** Resolves when `signal` aborts (at once if it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
