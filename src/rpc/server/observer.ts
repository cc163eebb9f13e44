/** A method a server serves, as its observers see it. */
export interface ServedMethod {
  /** Wire name, `service.method`. */
  readonly method: string;
  readonly service: string;
  readonly methodName: string;
}

/**
 * Told of every call of one method, by the server's session: when the call starts (before the
 * interceptors) and when its handler settled, with the time it took. Bound once per method when
 * the server is built, so metrics cost a few additions per call: no promise, no closure. Keep it
 * cheap and never throw.
 */
export interface ServedMethodObserver {
  started(): void;
  /** `error` is undefined on success; `durationMs` runs from `started` to the handler settling. */
  ended(error: { readonly code: string } | undefined, durationMs: number): void;
}

/**
 * Sees what a server serves, for metrics: once per method, at construction, it returns that
 * method's {@link ServedMethodObserver} (or undefined to skip it).
 *
 * @example
 * ```ts
 * let served = 0;
 * const counting: ServerObserver = {
 *   methodOpened: () => ({ started: () => undefined, ended: () => void served++ }),
 * };
 * const server = createServer({ services, observers: [counting] });
 * ```
 */
export interface ServerObserver {
  methodOpened(method: ServedMethod): ServedMethodObserver | undefined;
}

/** One observer for several of one method (undefined when none observes it). */
export function combineServedObservers(
  list: ReadonlyArray<ServedMethodObserver | undefined>,
): ServedMethodObserver | undefined {
  const present = list.filter((o): o is ServedMethodObserver => o !== undefined);
  if (present.length <= 1) return present[0];
  return {
    started: () => {
      for (const o of present) o.started();
    },
    ended: (error, ms) => {
      for (const o of present) o.ended(error, ms);
    },
  };
}
