/** Anything keyed by a stream id. */
export interface HasStreamId {
  readonly streamId: number;
}

/**
 * Calls in flight by stream id. Ids grow by one per call and only a window of them is live, so an
 * array indexed by `id & mask` finds a call in one load; when two live ids collide the table
 * doubles. Cheaper than a Map on the per-call path (no hashing, no entry objects).
 */
export class StreamTable<T extends HasStreamId> {
  /** Empty until the first item: a connection that never calls holds no slots. */
  private slots: Array<T | undefined> = [];
  private mask = 0;
  private count = 0;
  private readonly initialSize: number;

  constructor(initialSize = 256) {
    this.initialSize = 2 ** Math.ceil(Math.log2(Math.max(2, initialSize)));
  }

  get size(): number {
    return this.count;
  }

  get(streamId: number): T | undefined {
    const item = this.slots[streamId & this.mask];
    return item !== undefined && item.streamId === streamId ? item : undefined;
  }

  /** Adds `item`; its stream id must not be live already. */
  set(item: T): void {
    if (this.slots.length === 0) {
      this.slots = new Array<T | undefined>(this.initialSize).fill(undefined);
      this.mask = this.initialSize - 1;
    }
    for (;;) {
      const i = item.streamId & this.mask;
      if (this.slots[i] === undefined) {
        this.slots[i] = item;
        this.count++;
        return;
      }
      this.grow();
    }
  }

  /** Removes `item` if it is the live entry for its id; returns whether it was. */
  delete(item: T): boolean {
    const i = item.streamId & this.mask;
    if (this.slots[i] !== item) return false;
    this.slots[i] = undefined;
    this.count--;
    return true;
  }

  /** A snapshot of the live items (for shutdown paths, not the hot path). */
  values(): T[] {
    const out: T[] = [];
    for (const item of this.slots) if (item !== undefined) out.push(item);
    return out.sort((a, b) => a.streamId - b.streamId);
  }

  clear(): void {
    this.slots.fill(undefined);
    this.count = 0;
  }

  private grow(): void {
    const old = this.slots;
    let size = old.length * 2;
    for (;;) {
      const slots = new Array<T | undefined>(size).fill(undefined);
      const mask = size - 1;
      let ok = true;
      for (const item of old) {
        if (item === undefined) continue;
        const i = item.streamId & mask;
        if (slots[i] !== undefined) {
          ok = false;
          break;
        }
        slots[i] = item;
      }
      if (ok) {
        this.slots = slots;
        this.mask = mask;
        return;
      }
      size *= 2;
    }
  }
}
