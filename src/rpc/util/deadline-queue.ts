import type { Clock, TimerHandle } from '../../core/clock.js';

/** Something with a deadline that a {@link DeadlineQueue} can hold. */
export interface Expiring {
  /** Monotonic time (`clock.now()`) at which it expires. */
  deadlineAt: number;
  /** Position in the queue's heap; -1 when not queued. Owned by the queue. */
  heapIndex: number;
}

/**
 * Deadlines behind one timer (the calls of a client connection; the guards of all of a server's
 * connections): a binary min-heap ordered by expiry, with O(log n) insert and removal, and a single
 * clock timer armed for the earliest deadline. Compared with one `setTimeout` per item this
 * allocates nothing per item; the timer is re-armed only when an earlier deadline arrives or when
 * it fires. An item may re-add itself from `onExpire`.
 */
export class DeadlineQueue<T extends Expiring> {
  private readonly heap: T[] = [];
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private readonly fire = (): void => this.onTimer();

  constructor(
    private readonly clock: Clock,
    private readonly onExpire: (item: T) => void,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  add(item: T): void {
    item.heapIndex = this.heap.length;
    this.heap.push(item);
    this.up(item.heapIndex);
    if (item.deadlineAt < this.timerAt) this.arm(item.deadlineAt);
  }

  /** Removes `item` if queued (its timer is not re-armed: a late fire finds nothing due and re-arms). */
  remove(item: T): void {
    const i = item.heapIndex;
    if (i < 0) return;
    item.heapIndex = -1;
    const last = this.heap.pop()!;
    if (i === this.heap.length) return;
    this.heap[i] = last;
    last.heapIndex = i;
    this.down(i);
    this.up(last.heapIndex);
  }

  /** Stops the timer and forgets every item. */
  clear(): void {
    for (const item of this.heap) item.heapIndex = -1;
    this.heap.length = 0;
    this.disarm();
  }

  private onTimer(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.clock.now();
    for (;;) {
      const top = this.heap[0];
      if (top === undefined) return;
      if (top.deadlineAt > now) {
        this.arm(top.deadlineAt);
        return;
      }
      this.remove(top);
      this.onExpire(top);
    }
  }

  private arm(at: number): void {
    this.disarm();
    this.timerAt = at;
    this.timer = this.clock.setTimeout(this.fire, Math.max(0, Math.ceil(at - this.clock.now())));
    this.timer.unref?.();
  }

  private disarm(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  private up(i: number): void {
    const heap = this.heap;
    const item = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p.deadlineAt <= item.deadlineAt) break;
      heap[i] = p;
      p.heapIndex = i;
      i = parent;
    }
    heap[i] = item;
    item.heapIndex = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && heap[r]!.deadlineAt < heap[l]!.deadlineAt ? r : l;
      const child = heap[c]!;
      if (child.deadlineAt >= item.deadlineAt) break;
      heap[i] = child;
      child.heapIndex = i;
      i = c;
    }
    heap[i] = item;
    item.heapIndex = i;
  }
}
