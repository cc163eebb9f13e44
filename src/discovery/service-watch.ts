import { registryChangeChannel } from '../core/diagnostics.js';
import { type Clock, sleep, type TimerHandle } from '../core/clock.js';
import { ProximaError, toProximaError } from '../core/errors.js';
import { Emitter, type Event, once } from '../core/event.js';
import type { Registry, WatchConnectivity, WatchEvent, WatchOptions } from '../registry/registry.js';
import type { Backoff } from '../resilience/backoff.js';
import type { Logger } from '../core/logger.js';
import {
  applyEvent,
  dropUnconfirmed,
  emptyPool,
  expireUnconfirmed,
  nextDeadline,
  type Pool,
  toSnapshot,
} from './pool.js';
import type { SelfPreservation } from './self-preservation.js';
import type { ServiceSnapshot, SnapshotCause, SnapshotUpdate } from './snapshot.js';

export interface ServiceWatchOptions {
  readonly registry: Registry;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly selfPreservation: SelfPreservation;
  /** The starting step of the reconnect schedule; it is started over after every applied event. */
  readonly backoff: Backoff;
}

/**
 * The one registry watch of one service in this process, and the snapshot it maintains.
 *
 * When the watch breaks (the iterator throws or ends), the last good snapshot stays in place marked
 * `stale`; the loop waits a full-jitter backoff, probes the registry with a `list`, and resumes the
 * watch at the last applied revision + 1, so events missed meanwhile are replayed (or a `reset`
 * arrives when the registry no longer has them). A `reset` is subject to self-preservation.
 *
 * Owned by the {@link Discoverer}, which shares it between subscribers.
 */
export class ServiceWatch implements AsyncDisposable {
  private pool: Pool;
  private stale = false;
  private latest: ServiceSnapshot | undefined;
  private expiry: { readonly at: number; readonly handle: TimerHandle } | undefined;
  private readonly emitter = new Emitter<SnapshotUpdate>();
  private readonly controller = new AbortController();
  private readonly loop: Promise<void>;

  /** Every change of the snapshot, with its cause. */
  readonly updated: Event<SnapshotUpdate> = this.emitter.event;

  /** Starts watching `service` at once. */
  constructor(
    readonly service: string,
    private readonly options: ServiceWatchOptions,
  ) {
    this.pool = emptyPool(service);
    this.loop = this.run(this.controller.signal);
  }

  /** The latest snapshot; undefined until the registry first answered. */
  get snapshot(): ServiceSnapshot | undefined {
    return this.latest;
  }

  /** The first snapshot. Rejects when `signal` aborts or the watch is closed first. */
  async ready(signal?: AbortSignal): Promise<ServiceSnapshot> {
    if (this.latest !== undefined) return this.latest;
    const until =
      signal === undefined ? this.controller.signal : AbortSignal.any([signal, this.controller.signal]);
    const update = await once(this.updated, until);
    return update.snapshot;
  }

  /** Drops `id` now if it is unconfirmed: the routing layer saw it fail, so it really is gone. */
  reportFailed(id: string): void {
    const next = dropUnconfirmed(this.pool, id);
    if (next === undefined) return;
    this.pool = next;
    this.options.logger.info({ service: this.service, id }, 'unconfirmed instance failed: dropped');
    this.publish({ type: 'failed', id });
  }

  /** Stops the watch and its timers; resolves once the loop has ended. */
  async close(): Promise<void> {
    if (!this.controller.signal.aborted) {
      this.controller.abort(new ProximaError('CANCELLED', `watch of ${this.service} closed`));
    }
    this.clearExpiry();
    await this.loop;
    this.emitter.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { registry, clock, logger } = this.options;
    let backoff = this.options.backoff;
    let broken = false;
    while (!signal.aborted) {
      try {
        if (broken) {
          // A cheap reachability probe: a resumed watch with nothing to replay says nothing, and
          // without it the snapshot would stay "stale" until the next change.
          await registry.list(this.service, { signal });
          broken = false;
          this.markFresh();
        }
        const fromRevision = this.latest === undefined ? undefined : this.pool.revision + 1;
        // Backends that reconnect by themselves never throw for an outage: they say so here.
        const onConnectivity = (state: WatchConnectivity): void => {
          if (state.connected) this.markFresh();
          else this.markStale(state.error, true);
        };
        const options: WatchOptions =
          fromRevision === undefined ? { signal, onConnectivity } : { signal, fromRevision, onConnectivity };
        for await (const event of registry.watch(this.service, options)) {
          this.apply(event);
          backoff = this.options.backoff;
        }
        if (signal.aborted) return;
        throw new ProximaError('UNAVAILABLE', `the watch of ${this.service} ended`);
      } catch (error) {
        if (signal.aborted) return;
        broken = true;
        // Warn once per outage (the first failure since events last flowed), then keep it quiet.
        this.markStale(toProximaError(error, 'UNAVAILABLE'), backoff.retries === 0);
        backoff = backoff.next();
        logger.debug(
          { service: this.service, retry: backoff.retries, delayMs: Math.round(backoff.delayMs) },
          'watch reconnect scheduled',
        );
        await sleep(clock, backoff.delayMs, signal).catch(() => undefined);
      }
    }
  }

  private apply(event: WatchEvent): void {
    const before = this.pool.unconfirmed;
    this.pool = applyEvent(this.pool, event, this.options.clock.now(), this.options.selfPreservation);
    this.stale = false;
    const held = [...this.pool.unconfirmed.keys()].filter((id) => !before.has(id));
    if (held.length > 0) {
      this.options.logger.warn(
        {
          service: this.service,
          held: held.length,
          present: this.pool.instances.size - this.pool.unconfirmed.size,
          graceMs: this.options.selfPreservation.graceMs,
        },
        event.type === 'reset'
          ? 'self-preservation: a reset dropped most instances; keeping them as unconfirmed'
          : 'self-preservation: most instances were deleted at once, unannounced; keeping them as unconfirmed',
      );
    }
    this.publish({ type: 'watch', event });
  }

  private markStale(error: ProximaError, loud: boolean): void {
    const { logger } = this.options;
    logger[loud ? 'warn' : 'debug'](
      { service: this.service, code: error.code, err: error.message },
      this.latest === undefined
        ? 'watch failed before the first snapshot'
        : 'watch broken; serving the last snapshot',
    );
    if (this.latest === undefined || this.stale) return;
    this.stale = true;
    this.publish({ type: 'stale', error });
  }

  private markFresh(): void {
    if (!this.stale) return;
    this.stale = false;
    this.options.logger.info({ service: this.service }, 'registry reachable again; resuming the watch');
    this.publish({ type: 'fresh' });
  }

  private publish(cause: SnapshotCause): void {
    const snapshot = toSnapshot(this.pool, this.stale);
    this.latest = snapshot;
    this.scheduleExpiry();
    const update = { snapshot, cause };
    if (!registryChangeChannel.hasSubscribers) {
      this.emitter.emit(update);
      return;
    }
    // The traced span covers the subscribers (routers rebuilding their pickers) applying it.
    const message = {
      service: this.service,
      cause: cause.type === 'watch' ? cause.event.type : cause.type,
      instances: snapshot.instances.length,
      revision: snapshot.revision === 0 ? undefined : String(snapshot.revision),
    };
    registryChangeChannel.traceSync(() => this.emitter.emit(update), message);
  }

  private scheduleExpiry(): void {
    const at = nextDeadline(this.pool);
    if (this.expiry?.at === at) return;
    this.clearExpiry();
    if (at === undefined || this.controller.signal.aborted) return;
    const { clock } = this.options;
    const handle = clock.setTimeout(() => this.onExpiry(), Math.max(0, at - clock.now()));
    // A pending grace period alone must not keep a process alive.
    handle.unref?.();
    this.expiry = { at, handle };
  }

  private clearExpiry(): void {
    if (this.expiry === undefined) return;
    this.options.clock.clearTimeout(this.expiry.handle);
    this.expiry = undefined;
  }

  private onExpiry(): void {
    this.expiry = undefined;
    const { pool, expired } = expireUnconfirmed(this.pool, this.options.clock.now());
    if (expired.length === 0) {
      this.scheduleExpiry();
      return;
    }
    this.pool = pool;
    this.options.logger.info(
      { service: this.service, ids: expired },
      'grace ended: unconfirmed instances dropped',
    );
    this.publish({ type: 'expired', ids: expired });
  }
}
