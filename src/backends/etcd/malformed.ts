import type { Logger } from '../../core/logger.js';

/** How many distinct bad keys are remembered (so each is reported once); the set starts over past it. */
export const MAX_REMEMBERED_BAD_KEYS = 1024;

/**
 * Keys under the prefix that are not Proxima instances: a value that does not parse (treated as a
 * delete of its key) or a key outside the layout (a service name or id Proxima would refuse).
 * Each is logged once, naming the key; the memory of what was reported is bounded, because the
 * keys come from whoever can write to etcd.
 */
export class BadKeys {
  private readonly reported = new Set<string>();

  constructor(private readonly logger: Logger) {}

  /** Reports `key` once with `problem`. */
  note(key: Buffer | string, problem: string): void {
    const text = typeof key === 'string' ? key : key.toString('utf8');
    if (this.reported.has(text)) return;
    if (this.reported.size >= MAX_REMEMBERED_BAD_KEYS) this.reported.clear();
    this.reported.add(text);
    this.logger.warn({ key: text }, `etcd: ${problem}: ${text}`);
  }

  /** `key` holds a valid instance again (or is gone): a later problem with it is news. */
  clear(key: Buffer | string): void {
    if (this.reported.size === 0) return;
    this.reported.delete(typeof key === 'string' ? key : key.toString('utf8'));
  }

  /** Keys remembered (tests). */
  get size(): number {
    return this.reported.size;
  }
}
