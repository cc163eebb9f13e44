/** One scheduled action of the simulation. Cancelled events stay in the heap and are skipped. */
export interface SimEvent {
  /** Virtual time (ms) at which the event fires. */
  readonly at: number;
  /** Tie-breaker: events at the same instant fire in the order they were scheduled. */
  readonly seq: number;
  readonly fire: () => void;
  /**
   * The action may settle promises (an attempt's answer, a foreign timer such as a backoff sleep):
   * the runner lets their continuations run before virtual time moves on.
   */
  readonly settles: boolean;
  cancelled: boolean;
}

/**
 * The future of a discrete-event simulation: a binary min-heap of events ordered by time, then by
 * scheduling order, so two runs from the same seed fire exactly the same events in the same order.
 *
 * @example
 * ```ts
 * const queue = new EventQueue();
 * queue.push(5, () => console.log('later'));
 * queue.push(1, () => console.log('first'));
 * queue.pop()?.fire(); // first
 * ```
 */
export class EventQueue {
  private readonly heap: SimEvent[] = [];
  private nextSeq = 0;

  /** Events waiting (cancelled ones included until they reach the top). */
  get size(): number {
    return this.heap.length;
  }

  /** Schedules `fire` at virtual time `at`. */
  push(at: number, fire: () => void, settles = false): SimEvent {
    const event: SimEvent = { at, seq: this.nextSeq++, fire, settles, cancelled: false };
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(event, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = event;
    return event;
  }

  /** The earliest live event, without removing it. */
  peek(): SimEvent | undefined {
    this.dropCancelled();
    return this.heap[0];
  }

  /** Removes and returns the earliest live event. */
  pop(): SimEvent | undefined {
    this.dropCancelled();
    return this.removeTop();
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.removeTop();
  }

  private removeTop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(heap[r]!, heap[l]!) ? r : l;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
