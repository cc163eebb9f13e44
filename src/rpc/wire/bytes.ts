/**
 * Byte helpers for the hot path. Node's Buffer methods cross into C++ and cost 100–250 ns per
 * call even for a few bytes; frames are small, so short copies and header fields are done in
 * JavaScript, which V8 compiles to a few instructions.
 */

/** Copies `src[start, end)` to `dst` at `at`; a plain loop for short runs, `Buffer#copy` for long ones. */
export function copyBytes(src: Buffer, start: number, end: number, dst: Buffer, at: number): void {
  const n = end - start;
  if (n > 96) {
    src.copy(dst, at, start, end);
    return;
  }
  for (let i = 0; i < n; i++) dst[at + i] = src[start + i]!;
}

/**
 * Writes `s` at `at` if it is pure ASCII and returns its length; returns -1 (having written
 * garbage that the caller overwrites) when it is not, so the caller falls back to UTF-8.
 */
export function writeAscii(s: string, dst: Buffer, at: number): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    dst[at + i] = c;
  }
  return n;
}

export function writeU32(buf: Buffer, at: number, v: number): void {
  buf[at] = v >>> 24;
  buf[at + 1] = v >>> 16;
  buf[at + 2] = v >>> 8;
  buf[at + 3] = v;
}

export function writeU16(buf: Buffer, at: number, v: number): void {
  buf[at] = v >>> 8;
  buf[at + 1] = v;
}

export function readU32(buf: Buffer, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

export function readU16(buf: Buffer, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}
