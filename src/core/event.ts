/**
 * Typed events, not string names. An `Event<T>` is a function that subscribes a listener and
 * returns a `Disposable` that unsubscribes it (cockatiel's shape).
 *
 * @example
 * ```ts
 * const changed = new Emitter<Snapshot>();
 * using sub = changed.event((s) => console.log(s.revision));
 * changed.emit(snapshot);
 * ```
 */
export type Event<T> = (listener: (value: T) => void) => Disposable;

export class Emitter<T> {
  private listeners: Array<(value: T) => void> = [];

  /** Subscribe; dispose the result to unsubscribe. */
  readonly event: Event<T> = (listener) => {
    this.listeners = [...this.listeners, listener];
    return {
      [Symbol.dispose]: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  };

  get size(): number {
    return this.listeners.length;
  }

  /** Calls every listener; a throwing listener does not stop the others (its error is rethrown async). */
  emit(value: T): void {
    for (const listener of this.listeners) {
      try {
        listener(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  clear(): void {
    this.listeners = [];
  }
}

/** Resolves with the next value of `event` (or rejects when `signal` aborts). */
export function once<T>(event: Event<T>, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      sub[Symbol.dispose]();
      reject(signal?.reason);
    };
    const sub = event((value) => {
      sub[Symbol.dispose]();
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
