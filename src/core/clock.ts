import { performance } from 'node:perf_hooks';

/**
 * Time as a dependency. Everything that waits or measures takes a `Clock`, so tests run on
 * {@link FakeClock} (see `testing/fake-clock.ts`) and never sleep for real.
 */
export interface TimerHandle {
  /** Keeps the process alive or not (Node's `unref`); fake timers ignore it. */
  unref?(): unknown;
}

export interface Clock {
  /** Monotonic milliseconds (fractional). Only differences are meaningful. */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for timestamps shown to people. */
  wallNow(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock: `performance.now()` and Node's timers. `performance` is imported rather than
 * read from the global, which in Node is a lazy accessor: a getter call on every read of the
 * clock, several times per RPC call.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Resolves after `ms` on `clock`; rejects with the signal's reason if aborted first. The timer is
 * cleared on abort so nothing lingers.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
