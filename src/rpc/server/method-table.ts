import type { Route } from './route.js';

interface Entry {
  readonly bytes: Buffer;
  readonly route: Route;
}

/**
 * Finds a route from the method name's bytes in a frame without decoding them into a string:
 * FNV-1a over the bytes picks a bucket, and a byte comparison confirms. Decoding a string costs
 * more than the rest of dispatch for small calls.
 */
export class MethodTable {
  private readonly buckets = new Map<number, Entry[]>();

  constructor(routes: ReadonlyMap<string, Route>) {
    for (const [name, route] of routes) {
      const bytes = Buffer.from(name, 'utf8');
      const h = hash(bytes, 0, bytes.length);
      const bucket = this.buckets.get(h) ?? [];
      bucket.push({ bytes, route });
      this.buckets.set(h, bucket);
    }
  }

  /** The route named by `buf[start, end)`, or undefined. */
  lookup(buf: Buffer, start: number, end: number): Route | undefined {
    const bucket = this.buckets.get(hash(buf, start, end));
    if (bucket === undefined) return undefined;
    const n = end - start;
    outer: for (const entry of bucket) {
      const b = entry.bytes;
      if (b.length !== n) continue;
      for (let i = 0; i < n; i++) if (b[i] !== buf[start + i]) continue outer;
      return entry.route;
    }
    return undefined;
  }
}

function hash(buf: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}
