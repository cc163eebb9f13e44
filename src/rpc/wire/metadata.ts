import { invalidArgument } from '../../core/errors.js';
import type { Metadata } from '../../transport/transport.js';
import { MAX_SECTION, protocolError } from './frame.js';

/**
 * Call metadata on the wire: keys are 1–255 bytes of printable ASCII without spaces; values are
 * UTF-8 up to 65535 bytes; the whole section fits in 65535 bytes.
 */
export type { Metadata };

/** The metadata of a call that carries none; shared, frozen, never allocated per call. */
export const EMPTY_METADATA: Metadata = Object.freeze(Object.create(null) as Record<string, string>);

function validKey(key: string): boolean {
  if (key.length === 0 || key.length > 255) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/**
 * Writes `metadata` into `buf` at `offset` (the caller guarantees {@link metadataUpperBound} bytes of
 * room) and returns the bytes written. Throws INVALID_ARGUMENT naming the offending key.
 */
export function writeMetadata(buf: Buffer, offset: number, metadata: Metadata): number {
  let pos = offset;
  for (const key in metadata) {
    const value = metadata[key]!;
    if (!validKey(key)) throw invalidArgument(`metadata.${key}`, 'keys are 1-255 printable ASCII characters');
    if (typeof value !== 'string') throw invalidArgument(`metadata.${key}`, 'values are strings');
    buf[pos] = key.length;
    buf.write(key, pos + 1, 'latin1');
    pos += 1 + key.length;
    const written = buf.write(value, pos + 2, 'utf8');
    if (written > MAX_SECTION) throw invalidArgument(`metadata.${key}`, 'value longer than 65535 bytes');
    buf.writeUInt16BE(written, pos);
    pos += 2 + written;
  }
  if (pos - offset > MAX_SECTION) throw invalidArgument('metadata', 'more than 65535 bytes in total');
  return pos - offset;
}

/** Bytes that {@link writeMetadata} may need at most (UTF-8 is at most 3 bytes per UTF-16 unit). */
export function metadataUpperBound(metadata: Metadata): number {
  let n = 0;
  for (const key in metadata) n += 3 + key.length + 3 * (metadata[key]?.length ?? 0);
  return n;
}

/** True when the object has no own enumerable keys (without allocating an array). */
export function isEmptyMetadata(metadata: Metadata): boolean {
  for (const _ in metadata) return false;
  return true;
}

/**
 * Reads the metadata section `buf[start, end)`. Throws PROTOCOL_ERROR on a malformed section
 * (empty or non-printable key, lengths past the end).
 */
export function readMetadata(buf: Buffer, start: number, end: number): Metadata {
  if (start === end) return EMPTY_METADATA;
  const out = Object.create(null) as Record<string, string>;
  let pos = start;
  while (pos < end) {
    const keyLen = buf[pos]!;
    const keyStart = pos + 1;
    const valueLenAt = keyStart + keyLen;
    if (keyLen === 0 || valueLenAt + 2 > end) throw protocolError('bad metadata entry');
    for (let i = keyStart; i < valueLenAt; i++) {
      const c = buf[i]!;
      if (c <= 0x20 || c >= 0x7f) throw protocolError('bad metadata key');
    }
    const valueLen = buf.readUInt16BE(valueLenAt);
    const valueStart = valueLenAt + 2;
    if (valueStart + valueLen > end) throw protocolError('metadata value overflows its section');
    out[buf.toString('latin1', keyStart, valueLenAt)] = buf.toString(
      'utf8',
      valueStart,
      valueStart + valueLen,
    );
    pos = valueStart + valueLen;
  }
  return out;
}
