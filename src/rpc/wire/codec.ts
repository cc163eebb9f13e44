import { createRequire } from 'node:module';
import type * as Msgpackr from 'msgpackr';
import { ProximaError } from '../../core/errors.js';

/**
 * Bytes produced by a codec: `buf[start, end)`. Codecs may return the same object (and the same
 * scratch buffer) from every call, so it is valid only until their next `encode`: the frame writer
 * copies it into its outgoing slab at once. That keeps encoding allocation-free.
 */
export interface Encoded {
  buf: Buffer;
  start: number;
  end: number;
}

/**
 * How payloads become bytes. A codec has a 2-bit wire id carried in every frame's flags, so a
 * server answers each caller in the codec it spoke (a JSON debugging client next to msgpack
 * services).
 */
export interface Codec {
  /** Wire id, 0–3. 0 is msgpack, 1 is JSON; 2–3 are free for custom codecs. */
  readonly id: number;
  readonly name: string;
  /** Encodes `value`; the result is valid until the next call (see {@link Encoded}). */
  encode(value: unknown): Encoded;
  /** Decodes `buf[start, end)`; an empty range is `undefined`. */
  decode(buf: Buffer, start: number, end: number): unknown;
}

const EMPTY = Buffer.alloc(0);
const require = createRequire(import.meta.url);

/**
 * msgpackr, loaded when the first msgpack codec is made (a server or a connection is created)
 * rather than when the package is imported. Its CommonJS build is one file, and nothing else in
 * the process imports msgpackr, so there is a single copy either way.
 */
function loadMsgpackr(): typeof Msgpackr {
  return require('msgpackr') as typeof Msgpackr;
}

/**
 * The default codec: msgpackr without records (plain maps, so any peer can read them), encoding
 * into msgpackr's reused buffer and decoding in place.
 */
export function msgpackCodec(): Codec {
  const msgpackr = loadMsgpackr();
  const packr = new msgpackr.Packr({ useRecords: false, moreTypes: false });
  const mode = msgpackr.REUSE_BUFFER_MODE | msgpackr.RESET_BUFFER_MODE;
  const out: Encoded = { buf: EMPTY, start: 0, end: 0 };
  const range = { start: 0, end: 0 };
  return {
    id: 0,
    name: 'msgpack',
    encode(value) {
      if (value === undefined) {
        out.buf = EMPTY;
        out.start = out.end = 0;
        return out;
      }
      const target = packr.pack(value, mode) as Buffer & {
        start: number;
        end: number;
      };
      out.buf = target;
      out.start = target.start;
      out.end = target.end;
      return out;
    },
    decode(buf, start, end) {
      if (start === end) return undefined;
      range.start = start;
      range.end = end;
      return packr.unpack(buf, range);
    },
  };
}

/** A JSON codec, for debugging and for peers without msgpack. */
export function jsonCodec(): Codec {
  const out: Encoded = { buf: EMPTY, start: 0, end: 0 };
  return {
    id: 1,
    name: 'json',
    encode(value) {
      out.buf = value === undefined ? EMPTY : Buffer.from(JSON.stringify(value), 'utf8');
      out.start = 0;
      out.end = out.buf.length;
      return out;
    },
    decode: (buf, start, end) => (start === end ? undefined : JSON.parse(buf.toString('utf8', start, end))),
  };
}

/** Codecs by wire id. */
export class CodecSet {
  private readonly byId: Array<Codec | undefined> = [undefined, undefined, undefined, undefined];

  constructor(codecs: readonly Codec[]) {
    for (const codec of codecs) {
      if (!Number.isInteger(codec.id) || codec.id < 0 || codec.id > 3) {
        throw new ProximaError('INVALID_ARGUMENT', `codec ${codec.name}: id must be 0-3`, {
          field: 'codecs',
        });
      }
      this.byId[codec.id] = codec;
    }
  }

  /** The codec for a wire id, or undefined when this side does not speak it. */
  get(id: number): Codec | undefined {
    return this.byId[id];
  }
}
