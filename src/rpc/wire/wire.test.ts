import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isProximaError } from '../../core/errors.js';
import { type Codec, type Encoded, jsonCodec, msgpackCodec } from './codec.js';
import { FrameDecoder } from './decoder.js';
import { FLAG_PROTOCOL_ERROR, FrameType, type FrameView } from './frame.js';
import { type Metadata, readMetadata } from './metadata.js';
import { FrameWriter } from './writer.js';

interface Decoded {
  type: number;
  flags: number;
  streamId: number;
  deadlineMs: number;
  method: string;
  metadata: Metadata;
  payload: Buffer;
}

function collect(): { frames: Decoded[]; sink: { onFrame(f: FrameView): void } } {
  const frames: Decoded[] = [];
  return {
    frames,
    sink: {
      onFrame: (f) =>
        frames.push({
          type: f.type,
          flags: f.flags,
          streamId: f.streamId,
          deadlineMs: f.deadlineMs,
          method: f.type === FrameType.REQUEST ? f.method() : '',
          metadata: { ...readMetadata(f.buf, f.metaStart, f.metaEnd) },
          payload: Buffer.from(f.payload()),
        }),
    },
  };
}

/** Encodes with a writer whose sink collects the flushed bytes. */
function encode(build: (w: FrameWriter) => void, maxFramesPerFlush = 1000): Buffer {
  const chunks: Buffer[] = [];
  const writer = new FrameWriter({ maxFramesPerFlush, slabSize: 256 });
  writer.attach({ write: (c) => chunks.push(Buffer.from(c)) });
  build(writer);
  writer.flush();
  return Buffer.concat(chunks);
}

function protocolCode(fn: () => void): string | undefined {
  try {
    fn();
  } catch (error) {
    return isProximaError(error) ? error.code : 'not a ProximaError';
  }
  return undefined;
}

/** Encodes into the middle of a larger buffer to prove ranges are honoured. */
function roundTrip(codec: Codec, value: unknown): unknown {
  const e = codec.encode(value);
  const buf = Buffer.alloc(e.end - e.start + 6, 0xee);
  e.buf.copy(buf, 3, e.start, e.end);
  return codec.decode(buf, 3, buf.length - 3);
}

function enc(data: Uint8Array): Encoded {
  const buf = Buffer.from(data);
  return { buf, start: 0, end: buf.length };
}

describe('codecs', () => {
  const values = [null, 0, -1.5, 'héllo', [1, 'a', null], { a: { b: [true, false] }, n: 2 ** 40 }, ''];
  for (const codec of [msgpackCodec(), jsonCodec()]) {
    it(`${codec.name} round-trips values`, () => {
      for (const v of values) expect(roundTrip(codec, v)).toEqual(v);
      expect(roundTrip(codec, undefined)).toBeUndefined();
    });
  }

  it('msgpack round-trips arbitrary JSON values', () => {
    const codec = msgpackCodec();
    // `__proto__` keys are the one deliberate exception (see the next test), so they are left out.
    const json = fc.jsonValue().filter((v) => !JSON.stringify(v).includes('"__proto__"'));
    fc.assert(
      fc.property(json, (v) => {
        expect(roundTrip(codec, v)).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 300 },
    );
  });

  it('msgpack never lets a peer set a prototype: a __proto__ key is renamed (property-test seed -941336777, path 153:2:87:86:86)', () => {
    // The counterexample {"":{"__proto__":{}}}: msgpackr decodes the key as `__proto_` (its guard
    // against prototype pollution), where JSON.parse keeps an own `__proto__` property.
    const decoded = roundTrip(msgpackCodec(), JSON.parse('{"":{"__proto__":{"polluted":true}}}')) as Record<
      string,
      Record<string, unknown>
    >;
    const inner = decoded[''] ?? {};
    expect(Object.getPrototypeOf(inner)).toBe(Object.prototype);
    expect(inner.polluted).toBeUndefined();
    expect(inner).toEqual({ __proto_: { polluted: true } });
  });
});

describe('frame encoder and decoder', () => {
  it('round-trips every frame type with header fields, metadata and payload', () => {
    const bytes = encode((w) => {
      w.request(
        7,
        1500,
        'users.get',
        { authorization: 'Bearer x', 'trace-id': 'ü' },
        enc(Buffer.from([1, 2, 3])),
        0,
      );
      w.reply(FrameType.RESPONSE, 7, enc(Buffer.from('ok')), 1);
      w.reply(FrameType.ERROR, 8, enc(Buffer.from('err')), 0);
      w.control(FrameType.CANCEL, 9);
      w.control(FrameType.PING, 10);
      w.control(FrameType.PONG, 10);
      w.control(FrameType.GOAWAY, 42, FLAG_PROTOCOL_ERROR, 'bye');
    });
    const { frames, sink } = collect();
    new FrameDecoder(sink).push(bytes);
    expect(frames.map((f) => f.type)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(frames[0]).toMatchObject({ streamId: 7, deadlineMs: 1500, method: 'users.get', flags: 0 });
    expect(frames[0]!.metadata).toEqual({ authorization: 'Bearer x', 'trace-id': 'ü' });
    expect([...frames[0]!.payload]).toEqual([1, 2, 3]);
    expect(frames[1]).toMatchObject({ streamId: 7, flags: 1 });
    expect(frames[1]!.payload.toString()).toBe('ok');
    expect(frames[6]).toMatchObject({ streamId: 42, flags: FLAG_PROTOCOL_ERROR });
    expect(frames[6]!.payload.toString()).toBe('bye');
  });

  it('decodes the same frames under any chunking', () => {
    const frameArb = fc.record({
      id: fc.nat({ max: 2 ** 32 - 1 }),
      deadline: fc.nat({ max: 2 ** 32 - 1 }),
      method: fc.string({ minLength: 1, maxLength: 20 }),
      meta: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), fc.string({ maxLength: 10 }), {
        maxKeys: 3,
      }),
      payload: fc.uint8Array({ maxLength: 300 }),
    });
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.boolean(),
        (specs, cuts, preface) => {
          // With `preface`, the stream starts with the peer's preface, as on a real connection.
          const bytes = encode((w) => {
            if (preface) w.preface({ maxFrameSize: 4 * 1024 * 1024 });
            for (const s of specs) w.request(s.id, s.deadline, s.method, s.meta, enc(s.payload), 0);
          }, 3);
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const { frames, sink } = collect();
          const decoder = new FrameDecoder(sink, undefined, preface);
          let last = 0;
          for (const p of [...points, bytes.length]) {
            decoder.push(bytes.subarray(last, p));
            last = p;
          }
          expect(decoder.hasPartialFrame).toBe(false);
          if (preface) expect(frames.shift()?.type).toBe(FrameType.SETTINGS);
          expect(frames.map((f) => [f.streamId, f.deadlineMs, f.method, f.metadata, [...f.payload]])).toEqual(
            specs.map((s) => [s.id, s.deadline, s.method, s.meta, [...s.payload]]),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('coalesces at most maxFramesPerFlush frames into one write', async () => {
    const writes: number[] = [];
    const writer = new FrameWriter({ maxFramesPerFlush: 4 });
    writer.attach({ write: (c) => writes.push(c.length) });
    for (let i = 0; i < 10; i++) writer.control(FrameType.PING, i);
    expect(writes).toEqual([72, 72]);
    await Promise.resolve();
    expect(writes).toEqual([72, 72, 36]);
  });

  it('refuses a frame over the limit without writing it', () => {
    const writer = new FrameWriter({ maxFrameSize: 100 });
    const code = protocolCode(() => writer.reply(FrameType.RESPONSE, 1, enc(new Uint8Array(200)), 0));
    expect(code).toBe('RESOURCE_EXHAUSTED');
    expect(writer.buffered).toBe(0);
  });
});

describe('malformed input', () => {
  const good = encode((w) => w.request(1, 0, 'a.b', undefined, enc(Buffer.from([1])), 0));
  const cases: Array<[string, Buffer]> = [
    ['length below the header', Buffer.from([0, 0, 0, 3, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])],
    ['length over the limit', Buffer.from([0x7f, 0, 0, 0, 1])],
    ['unknown type', Buffer.from(good).fill(9, 4, 5)],
    ['type zero', Buffer.from(good).fill(0, 4, 5)],
    ['unknown flags', Buffer.from(good).fill(0x80, 5, 6)],
    ['method overflowing the frame', Buffer.from(good).fill(0xff, 14, 16)],
    ['request without method', Buffer.from(good).fill(0, 14, 16)],
  ];
  for (const [name, bytes] of cases) {
    it(`rejects ${name} with PROTOCOL_ERROR`, () => {
      const { frames, sink } = collect();
      expect(protocolCode(() => new FrameDecoder(sink, 1024).push(bytes))).toBe('PROTOCOL_ERROR');
      expect(frames).toHaveLength(0);
    });
  }

  it('rejects bad metadata when it is read', () => {
    const buf = Buffer.from([0, 3, 0x61, 0x62, 0x63]); // empty key
    expect(protocolCode(() => readMetadata(buf, 0, buf.length))).toBe('PROTOCOL_ERROR');
    const overflow = Buffer.from([1, 0x61, 0, 9, 0x62]);
    expect(protocolCode(() => readMetadata(overflow, 0, overflow.length))).toBe('PROTOCOL_ERROR');
  });

  it('stays poisoned after an error', () => {
    const { frames, sink } = collect();
    const decoder = new FrameDecoder(sink, 1024);
    expect(protocolCode(() => decoder.push(Buffer.from([0x7f, 0, 0, 0])))).toBe('PROTOCOL_ERROR');
    decoder.push(good);
    expect(frames).toHaveLength(0);
  });
});
