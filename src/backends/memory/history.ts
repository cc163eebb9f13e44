import type { WatchEvent } from '../../registry/registry.js';

interface Batch {
  readonly revision: number;
  readonly events: readonly WatchEvent[];
}

/**
 * The recent changes of the whole registry, so a watch can resume from a revision. Bounded by a
 * number of events; whole revisions are dropped together (a revoked lease's deletes share one
 * revision and must be replayed all or not at all). A resume from a dropped revision gets
 * `undefined`, which the watch turns into a `reset`.
 */
export class EventHistory {
  private batches: Batch[] = [];
  private head = 0;
  private count = 0;
  /** Every revision up to and including this one is gone. */
  private droppedThrough = 0;

  constructor(private readonly limit: number) {}

  /** Number of events kept. */
  get size(): number {
    return this.count;
  }

  /** The newest revision that can no longer be replayed (0 when nothing was dropped). */
  get compactedRevision(): number {
    return this.droppedThrough;
  }

  append(revision: number, events: readonly WatchEvent[]): void {
    this.batches.push({ revision, events });
    this.count += events.length;
    while (this.count > this.limit && this.head < this.batches.length) this.dropOldest();
    if (this.head > 1024 && this.head * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * The events of `service` with `revision >= fromRevision`, oldest first; `undefined` when some
   * of them were dropped.
   */
  since(service: string, fromRevision: number): WatchEvent[] | undefined {
    if (fromRevision <= this.droppedThrough) return undefined;
    const out: WatchEvent[] = [];
    for (let i = this.batches.length - 1; i >= this.head; i--) {
      const batch = this.batches[i] as Batch;
      if (batch.revision < fromRevision) break;
      for (let k = batch.events.length - 1; k >= 0; k--) {
        const event = batch.events[k] as WatchEvent;
        if (event.service === service) out.push(event);
      }
    }
    return out.reverse();
  }

  /** Drops everything up to and including `revision`. */
  compact(revision: number): void {
    while (this.head < this.batches.length && (this.batches[this.head] as Batch).revision <= revision) {
      this.dropOldest();
    }
    this.droppedThrough = Math.max(this.droppedThrough, revision);
  }

  private dropOldest(): void {
    const batch = this.batches[this.head] as Batch;
    this.head += 1;
    this.count -= batch.events.length;
    this.droppedThrough = batch.revision;
  }
}
