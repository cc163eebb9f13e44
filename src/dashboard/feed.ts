import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Instance } from '../core/instance.js';
import type { WatchEvent } from '../registry/registry.js';
import { SseStream } from '../server/sse.js';
import type { RegistryState } from '../server/state.js';
import type { HistoryPoint } from './history.js';
import type { TrafficBoard, TrafficReport } from './traffic.js';

/** Lease of one instance as the page shows it, keyed `service/id`. */
export interface LeaseView {
  readonly ttlMs: number;
  readonly remainingMs: number;
}

/** The first message of every page connection: the whole registry, leases and traffic. */
export interface DashboardSnapshot {
  readonly revision: number;
  readonly services: Readonly<Record<string, readonly Instance[]>>;
  readonly leases: Readonly<Record<string, LeaseView>>;
  readonly traffic: readonly TrafficReport[];
  /** The last minutes of traffic, one point per second (the chart). */
  readonly history: readonly HistoryPoint[];
  /** Changes committed since the server started (the revision counts them). */
  readonly changes: number;
  /** How long ago the last change was committed; absent before the first. */
  readonly lastChangeAgoMs?: number;
}

export interface FeedOptions {
  readonly state: RegistryState;
  readonly traffic: TrafficBoard;
  readonly clock: Clock;
  /** How often lease time left is pushed (keep-alives renew leases without a watch event). */
  readonly leaseTickMs: number;
  readonly heartbeatMs: number;
}

/** Whether a page may see a service (its token's read rights). */
export type Readable = (service: string) => boolean;

const everything: Readable = () => true;

/**
 * The dashboard's one live stream (`GET /ui/events`): a `snapshot` on connect, then `change`
 * for every committed revision of any service (straight from the store, no polling), `leases`
 * every `leaseTickMs` while a page is open, and `traffic` whenever a demo client reports. A page
 * that reconnects simply gets a new snapshot, so nothing needs resuming. With ACLs on, each page
 * sees only the services its token may read.
 */
export class DashboardFeed implements Disposable {
  /** Open pages, each with what its token may read (everything without ACLs). */
  private readonly streams = new Map<SseStream, Readable>();
  private readonly subscription: Disposable;
  private tick: TimerHandle | undefined;
  private sequence = 0;
  private lastChangeAt: number | undefined;

  constructor(private readonly options: FeedOptions) {
    this.subscription = options.state.store.onCommit((events) => this.onCommit(events));
  }

  /** Number of open pages. */
  get size(): number {
    return this.streams.size;
  }

  /** Serves one page connection until it closes, showing only the services `readable` allows. */
  attach(res: ServerResponse, readable: Readable = everything): void {
    const { clock, heartbeatMs } = this.options;
    const stream = new SseStream(res, clock, heartbeatMs);
    stream.open('proxima dashboard');
    stream.send('snapshot', this.nextId(), this.snapshot(readable));
    this.streams.set(stream, readable);
    res.on('close', () => {
      this.streams.delete(stream);
      stream.close();
    });
    this.schedule();
  }

  /** Pushes the current traffic reports, and the newest point of the chart, to every page. */
  publishTraffic(): void {
    this.broadcast('traffic', this.options.traffic.current());
    const point = this.options.traffic.history().at(-1);
    if (point !== undefined) this.broadcast('history', point);
  }

  snapshot(readable: Readable = everything): DashboardSnapshot {
    const { state } = this.options;
    const services: Record<string, readonly Instance[]> = {};
    for (const name of state.services()) if (readable(name)) services[name] = state.list(name).instances;
    const snapshot: DashboardSnapshot = {
      revision: state.revision,
      services,
      leases: this.leases(readable),
      traffic: this.options.traffic.current(),
      history: this.options.traffic.history(),
      changes: state.store.revision,
    };
    if (this.lastChangeAt === undefined) return snapshot;
    return { ...snapshot, lastChangeAgoMs: this.options.clock.now() - this.lastChangeAt };
  }

  [Symbol.dispose](): void {
    this.subscription[Symbol.dispose]();
    if (this.tick !== undefined) this.options.clock.clearTimeout(this.tick);
    this.tick = undefined;
    for (const stream of this.streams.keys()) stream.close();
    this.streams.clear();
  }

  private onCommit(events: readonly WatchEvent[]): void {
    this.lastChangeAt = this.options.clock.now();
    if (this.streams.size === 0) return;
    const base = this.options.state.revisionBase;
    const outward = events.map((e) => ({ ...e, revision: e.revision + base }));
    const leases: Record<string, LeaseView> = {};
    for (const e of events) {
      if (e.type !== 'upsert') continue;
      const lease = this.options.state.store.leaseOf(e.service, e.instance.id);
      if (lease !== undefined) leases[`${e.service}/${e.instance.id}`] = lease;
    }
    const id = this.nextId();
    for (const [stream, readable] of this.streams) {
      if (readable === everything) {
        stream.send('change', id, { events: outward, leases });
        continue;
      }
      const visible = outward.filter((e) => readable(e.service));
      if (visible.length === 0) continue;
      const seen = Object.fromEntries(
        Object.entries(leases).filter(([key]) => readable(key.slice(0, key.indexOf('/')))),
      );
      stream.send('change', id, { events: visible, leases: seen });
    }
  }

  private leases(readable: Readable = everything): Record<string, LeaseView> {
    const { state } = this.options;
    const leases: Record<string, LeaseView> = {};
    for (const name of state.services()) {
      if (!readable(name)) continue;
      for (const instance of state.list(name).instances) {
        const lease = state.store.leaseOf(name, instance.id);
        if (lease !== undefined) leases[`${name}/${instance.id}`] = lease;
      }
    }
    return leases;
  }

  private schedule(): void {
    if (this.tick !== undefined || this.streams.size === 0) return;
    this.tick = this.options.clock.setTimeout(() => {
      this.tick = undefined;
      if (this.streams.size === 0) return;
      const everyone = this.leases();
      const id = this.nextId();
      for (const [stream, readable] of this.streams) {
        stream.send('leases', id, readable === everything ? everyone : this.leases(readable));
      }
      this.publishTraffic();
      this.schedule();
    }, this.options.leaseTickMs);
    this.tick.unref?.();
  }

  private broadcast(event: string, data: unknown): void {
    if (this.streams.size === 0) return;
    const id = this.nextId();
    for (const stream of this.streams.keys()) stream.send(event, id, data);
  }

  private nextId(): string {
    this.sequence += 1;
    return String(this.sequence);
  }
}
