/**
 * An unbounded push queue read as an async iterator, for one watcher: the store pushes events as
 * they commit (synchronously), the watcher's generator pulls them. `close()` ends it at once,
 * dropping what was not read yet (the watcher is going away).
 */
export class EventQueue<T> {
  private items: T[] = [];
  private waiter: ((result: IteratorResult<T, undefined>) => void) | undefined;
  private closedFlag = false;

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Number of items waiting to be read. */
  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.closedFlag) return;
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter({ done: false, value: item });
    } else {
      this.items.push(item);
    }
  }

  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.items = [];
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.({ done: true, value: undefined });
  }

  /** The next item, or `done` once closed. Only one reader may wait at a time. */
  next(): Promise<IteratorResult<T, undefined>> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ done: false, value: item });
    if (this.closedFlag) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}
