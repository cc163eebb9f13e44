import type { WatchEvent } from '../../registry/registry.js';
import { EventQueue } from './event-queue.js';

/** Watch subscriptions per service; the store publishes each committed batch here. */
export class WatchHub {
  private readonly byService = new Map<string, Set<EventQueue<WatchEvent>>>();

  /** A queue receiving every later event of `service`; close it to unsubscribe. */
  subscribe(service: string): EventQueue<WatchEvent> {
    const queue = new EventQueue<WatchEvent>();
    let set = this.byService.get(service);
    if (set === undefined) {
      set = new Set();
      this.byService.set(service, set);
    }
    set.add(queue);
    return queue;
  }

  unsubscribe(service: string, queue: EventQueue<WatchEvent>): void {
    queue.close();
    const set = this.byService.get(service);
    if (set === undefined) return;
    set.delete(queue);
    if (set.size === 0) this.byService.delete(service);
  }

  publish(events: readonly WatchEvent[]): void {
    for (const event of events) {
      const set = this.byService.get(event.service);
      if (set === undefined) continue;
      for (const queue of set) queue.push(event);
    }
  }

  /** Number of open watches (of one service, or of all). */
  watchers(service?: string): number {
    if (service !== undefined) return this.byService.get(service)?.size ?? 0;
    let n = 0;
    for (const set of this.byService.values()) n += set.size;
    return n;
  }

  closeAll(): void {
    for (const set of this.byService.values()) for (const queue of set) queue.close();
    this.byService.clear();
  }
}
