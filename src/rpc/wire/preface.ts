import { ProximaError } from '../../core/errors.js';
import { readU16, readU32, writeU16, writeU32 } from './bytes.js';
import { protocolError } from './frame.js';

/** The wire protocol version this build speaks (docs/protocol.md). */
export const PROTOCOL_VERSION = 1;

/** `PRXM`: the first bytes each side sends, so a Proxima peer is told apart from anything else. */
export const PREFACE_MAGIC = 0x5052584d;
/** Magic (4 bytes), version (u16), reserved (u16, 0). */
export const PREFACE_SIZE = 8;

/**
 * Setting ids of the SETTINGS frame that follows each side's preface. A receiver ignores ids it
 * does not know, so later features can announce themselves without a version change.
 */
export const SettingId = {
  /** Largest frame (length field) the sender accepts. */
  MAX_FRAME_SIZE: 1,
  /** Calls the sender (a server) serves at once on one connection. */
  MAX_CONCURRENT_STREAMS: 2,
} as const;

/** Settings a side announces; absent ones mean "no limit announced". */
export interface Settings {
  maxFrameSize?: number;
  maxConcurrentStreams?: number;
}

/** Bytes of one setting: id (u16) and value (u32). */
const ENTRY = 6;

/** Writes the preface at `offset` of `buf`. */
export function writePreface(buf: Buffer, offset: number): void {
  writeU32(buf, offset, PREFACE_MAGIC);
  writeU16(buf, offset + 4, PROTOCOL_VERSION);
  writeU16(buf, offset + 6, 0);
}

/**
 * Checks a peer's preface. Throws PROTOCOL_ERROR naming both versions when the peer speaks
 * another one, or saying it is no Proxima peer (or one from before the preface existed).
 */
export function checkPreface(buf: Buffer): number {
  if (readU32(buf, 0) !== PREFACE_MAGIC) {
    throw protocolError(
      `expected the Proxima RPC preface (protocol version ${PROTOCOL_VERSION}), got bytes ${buf.toString('hex')}: the peer is not Proxima RPC or predates protocol version 1`,
    );
  }
  const version = readU16(buf, 4);
  if (version !== PROTOCOL_VERSION) {
    throw new ProximaError(
      'PROTOCOL_ERROR',
      `protocol version mismatch: the peer speaks version ${version}, this side speaks version ${PROTOCOL_VERSION}`,
    );
  }
  return version;
}

/** Size of the SETTINGS payload for `settings`. */
export function settingsSize(settings: Settings): number {
  return (
    ENTRY *
    ((settings.maxFrameSize === undefined ? 0 : 1) + (settings.maxConcurrentStreams === undefined ? 0 : 1))
  );
}

/** Writes the SETTINGS payload at `offset`; returns its length. */
export function writeSettings(buf: Buffer, offset: number, settings: Settings): number {
  let p = offset;
  for (const [id, value] of [
    [SettingId.MAX_FRAME_SIZE, settings.maxFrameSize],
    [SettingId.MAX_CONCURRENT_STREAMS, settings.maxConcurrentStreams],
  ] as const) {
    if (value === undefined) continue;
    writeU16(buf, p, id);
    writeU32(buf, p + 2, value);
    p += ENTRY;
  }
  return p - offset;
}

/** Reads a SETTINGS payload; unknown ids are skipped. Throws PROTOCOL_ERROR on a ragged payload. */
export function readSettings(buf: Buffer, start: number, end: number): Settings {
  if ((end - start) % ENTRY !== 0) throw protocolError(`SETTINGS payload of ${end - start} bytes`);
  const settings: Settings = {};
  for (let p = start; p < end; p += ENTRY) {
    const id = readU16(buf, p);
    const value = readU32(buf, p + 2);
    if (id === SettingId.MAX_FRAME_SIZE) settings.maxFrameSize = value;
    else if (id === SettingId.MAX_CONCURRENT_STREAMS) settings.maxConcurrentStreams = value;
  }
  return settings;
}
