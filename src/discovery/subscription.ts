import { ProximaError } from '../core/errors.js';
import type { Event } from '../core/event.js';
import type { ServiceWatch } from './service-watch.js';
import type { ServiceSnapshot, SnapshotUpdate } from './snapshot.js';

/** One subscriber's hold on a service watch. Dispose it to let the watch go. */
export interface ServiceSubscription extends Disposable {
  readonly service: string;
  /** Changes of this service; listeners are removed when the subscription is disposed. */
  readonly updated: Event<SnapshotUpdate>;
  current(): ServiceSnapshot | undefined;
  ready(signal?: AbortSignal): Promise<ServiceSnapshot>;
}

/** A subscription handed out by the discoverer: a view on the shared watch that forgets its listeners on dispose. */
export class Subscription implements ServiceSubscription {
  private readonly listeners = new Set<Disposable>();
  private disposed = false;

  constructor(
    readonly service: string,
    private readonly watch: ServiceWatch,
    private readonly onDispose: () => void,
  ) {}

  readonly updated: Event<SnapshotUpdate> = (listener) => {
    if (this.disposed) return { [Symbol.dispose]: () => undefined };
    const inner = this.watch.updated(listener);
    const outer: Disposable = {
      [Symbol.dispose]: () => {
        inner[Symbol.dispose]();
        this.listeners.delete(outer);
      },
    };
    this.listeners.add(outer);
    return outer;
  };

  current(): ServiceSnapshot | undefined {
    return this.disposed ? undefined : this.watch.snapshot;
  }

  ready(signal?: AbortSignal): Promise<ServiceSnapshot> {
    if (this.disposed)
      return Promise.reject(new ProximaError('FAILED_PRECONDITION', 'subscription disposed'));
    return this.watch.ready(signal);
  }

  [Symbol.dispose](): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const listener of [...this.listeners]) listener[Symbol.dispose]();
    this.onDispose();
  }
}
