import { ProximaError } from '../../core/errors.js';
import { readU16, readU32 } from './bytes.js';

/**
 * The frame layout shared by encoder and decoder (documented byte by byte in `docs/protocol.md`).
 *
 * ```
 * offset size field
 *  0     4    length      u32 BE: bytes after this field (14 + method + metadata + payload)
 *  4     1    type        FrameType
 *  5     1    flags       bits 0-1 codec id, bit 2 protocol-error (GOAWAY only)
 *  6     4    stream id   u32 BE (GOAWAY: last stream id processed; PING/PONG: ping id)
 * 10     4    deadline    u32 BE: ms remaining when sent (REQUEST only; 0 = none)
 * 14     2    method len  u16 BE (REQUEST only, else 0)
 * 16     2    meta len    u16 BE
 * 18     …    method (UTF-8) · metadata · payload
 * ```
 */
export const FrameType = {
  REQUEST: 1,
  RESPONSE: 2,
  ERROR: 3,
  CANCEL: 4,
  PING: 5,
  PONG: 6,
  GOAWAY: 7,
  /** Right after each side's preface (and never again): the sender's limits. Stream id 0. */
  SETTINGS: 8,
} as const;

export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Size of the fixed header, length prefix included. */
export const HEADER_SIZE = 18;
/** The smallest legal value of the length field (a frame with no method, metadata or payload). */
export const MIN_LENGTH = HEADER_SIZE - 4;
/** Default cap on the length field: 4 MiB, like gRPC's default max receive size. */
export const DEFAULT_MAX_FRAME_SIZE = 4 * 1024 * 1024;
/** Largest method name and metadata section (u16 fields). */
export const MAX_SECTION = 0xffff;

/**
 * Why a GOAWAY was sent, carried in its deadline field (unused on GOAWAY), like HTTP/2's GOAWAY
 * error code. A receiver treats an unknown code as {@link GoawayCode.SHUTDOWN}.
 */
export const GoawayCode = {
  /** Graceful shutdown: calls up to the last stream id finish. */
  SHUTDOWN: 0,
  /** The peer broke the protocol (also flagged by {@link FLAG_PROTOCOL_ERROR}). */
  PROTOCOL_ERROR: 1,
  /** A limit was hit: too many connections, outbound bytes over the hard cap or not draining. */
  RESOURCE_EXHAUSTED: 2,
  /** A frame was started and not finished within the read timeout. */
  FRAME_TIMEOUT: 3,
  /** Nothing valid arrived within the first-frame timeout after connecting. */
  FIRST_FRAME_TIMEOUT: 4,
  /** No calls and no frames for the idle timeout. */
  IDLE: 5,
} as const;

export type GoawayCode = (typeof GoawayCode)[keyof typeof GoawayCode];

/** The name of a GOAWAY code, for messages and logs. */
export function goawayCodeName(code: number): string {
  for (const [name, value] of Object.entries(GoawayCode)) if (value === code) return name;
  return `CODE_${code}`;
}

export const FLAG_CODEC_MASK = 0b11;
/** On GOAWAY: the sender closes because the peer broke the protocol. */
export const FLAG_PROTOCOL_ERROR = 0b100;
const KNOWN_FLAGS = FLAG_CODEC_MASK | FLAG_PROTOCOL_ERROR;

/** What an unfilled {@link FrameView} points at: one shared empty buffer, not one per view. */
const NO_BYTES = Buffer.alloc(0);

/**
 * A decoded frame, valid only during the synchronous `onFrame` callback that receives it: the
 * decoder reuses one view for every frame so the read path allocates nothing per frame. Offsets
 * index into `buf`; read sections with the helpers in `metadata.ts` and the codec.
 */
export class FrameView {
  type: FrameType = FrameType.PING;
  flags = 0;
  streamId = 0;
  deadlineMs = 0;
  buf: Buffer = NO_BYTES;
  methodStart = 0;
  methodEnd = 0;
  metaStart = 0;
  metaEnd = 0;
  payloadStart = 0;
  payloadEnd = 0;

  /** Lets go of the chunk the last frame lay in (a quiet connection should not keep it alive). */
  release(): void {
    this.buf = NO_BYTES;
  }

  /** The method name of a REQUEST (decoded on demand). */
  method(): string {
    return this.buf.toString('utf8', this.methodStart, this.methodEnd);
  }

  /** The payload bytes as a view (no copy). */
  payload(): Buffer {
    return this.buf.subarray(this.payloadStart, this.payloadEnd);
  }

  get codecId(): number {
    return this.flags & FLAG_CODEC_MASK;
  }
}

/** The error every malformed input raises; it closes the connection it arrived on, nothing else. */
export function protocolError(problem: string): ProximaError {
  return new ProximaError('PROTOCOL_ERROR', `protocol error: ${problem}`);
}

/**
 * Validates the fixed header at `offset` of `buf` (whose `length` field says `length`) and fills
 * `view`. Throws PROTOCOL_ERROR on an unknown type, unknown flags or sections that overflow the frame.
 */
export function readHeader(buf: Buffer, offset: number, length: number, view: FrameView): void {
  const type = buf[offset + 4]!;
  if (type < FrameType.REQUEST || type > FrameType.SETTINGS)
    throw protocolError(`unknown frame type ${type}`);
  const flags = buf[offset + 5]!;
  if ((flags & ~KNOWN_FLAGS) !== 0) throw protocolError(`unknown flags 0x${flags.toString(16)}`);
  const methodLen = readU16(buf, offset + 14);
  const metaLen = readU16(buf, offset + 16);
  const end = offset + 4 + length;
  const methodStart = offset + HEADER_SIZE;
  const metaStart = methodStart + methodLen;
  const payloadStart = metaStart + metaLen;
  if (payloadStart > end) throw protocolError('method and metadata overflow the frame');
  if (type === FrameType.REQUEST) {
    if (methodLen === 0) throw protocolError('request without a method');
  } else if (methodLen !== 0) {
    throw protocolError('method on a non-request frame');
  }
  view.type = type as FrameType;
  view.flags = flags;
  view.streamId = readU32(buf, offset + 6);
  view.deadlineMs = readU32(buf, offset + 10);
  view.buf = buf;
  view.methodStart = methodStart;
  view.methodEnd = metaStart;
  view.metaStart = metaStart;
  view.metaEnd = payloadStart;
  view.payloadStart = payloadStart;
  view.payloadEnd = end;
}
