import { Packr, RESET_BUFFER_MODE } from 'msgpackr';
import { ProximaError } from '../../core/errors.js';

/**
 * How payloads become bytes. A codec has a 2-bit wire id carried in every frame's flags, so a
 * server can answer each caller in the codec it spoke (a JSON debugging client next to msgpack
 * services).
 *
 * `encode` may return a view into scratch memory that is valid only until its next call: the
 * frame writer copies it straight into its outgoing buffer.
 */
export interface Codec {
  /** Wire id, 0–3. 0 is msgpack, 1 is JSON; 2–3 are free for custom codecs. */
  readonly id: number;
  readonly name: string;
  encode(value: unknown): Uint8Array;
  /** Decodes a payload; an empty payload is `undefined`. */
  decode(bytes: Buffer): unknown;
}

/**
 * The default codec: msgpackr without records (plain maps, so any peer can read them) and with a
 * reused scratch buffer.
 */
export function msgpackCodec(): Codec {
  const packr = new Packr({ useRecords: false, moreTypes: false });
  return {
    id: 0,
    name: 'msgpack',
    encode: (value) => (value === undefined ? EMPTY : packr.pack(value, RESET_BUFFER_MODE)),
    decode: (bytes) => (bytes.length === 0 ? undefined : packr.unpack(bytes)),
  };
}

/** A JSON codec, for debugging and for peers without msgpack. */
export function jsonCodec(): Codec {
  return {
    id: 1,
    name: 'json',
    encode: (value) => (value === undefined ? EMPTY : Buffer.from(JSON.stringify(value), 'utf8')),
    decode: (bytes) => (bytes.length === 0 ? undefined : JSON.parse(bytes.toString('utf8'))),
  };
}

const EMPTY = new Uint8Array(0);

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
