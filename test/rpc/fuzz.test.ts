import { type Socket, connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcConnection, type RpcServer, bind, createServer } from '../../src/rpc/index.js';
import { FrameDecoder } from '../../src/rpc/wire/decoder.js';
import { FLAG_PROTOCOL_ERROR, FrameType, HEADER_SIZE } from '../../src/rpc/wire/frame.js';
import { FrameWriter } from '../../src/rpc/wire/writer.js';

/** A valid client preface and SETTINGS: the fuzzed bytes come after it, where frames are read. */
const PREFACE = (() => {
  const chunks: Buffer[] = [];
  const writer = new FrameWriter();
  writer.preface({});
  writer.attach({ write: (c: Buffer) => chunks.push(Buffer.from(c)) });
  return Buffer.concat(chunks);
})();
import { TestApi, testService } from './fixtures/test-api.js';

const MAX_FRAME = 64 * 1024;
const FRAMES = 10_000;
const PARALLEL = 16;

/** A frame with arbitrary header fields; `length` defaults to the true length. */
function frame(f: {
  type: number;
  flags?: number;
  streamId?: number;
  methodLen?: number;
  metaLen?: number;
  body?: Uint8Array;
  length?: number;
}): Buffer {
  const body = Buffer.from(f.body ?? []);
  const buf = Buffer.alloc(HEADER_SIZE + body.length);
  buf.writeUInt32BE(f.length ?? HEADER_SIZE - 4 + body.length, 0);
  buf[4] = f.type;
  buf[5] = f.flags ?? 0;
  buf.writeUInt32BE(f.streamId ?? 1, 6);
  buf.writeUInt16BE(f.methodLen ?? 0, 14);
  buf.writeUInt16BE(f.metaLen ?? 0, 16);
  body.copy(buf, HEADER_SIZE);
  return buf;
}

const METHOD = Buffer.from('test.echo');
const goodRequest = frame({ type: FrameType.REQUEST, methodLen: METHOD.length, body: METHOD });

interface Case {
  kind: string;
  bytes: Buffer;
  /** The server must answer with a PROTOCOL_ERROR GOAWAY (false where the bytes may be legal). */
  protocolError: boolean;
}

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const id = fc.integer({ min: 1, max: 0xffffffff });
const cases: fc.Arbitrary<Case> = fc.oneof(
  fc
    .uint8Array({ minLength: 1, maxLength: 96 })
    .map((b) => ({ kind: 'random', bytes: Buffer.from(b), protocolError: false })),
  fc.integer({ min: 1, max: goodRequest.length - 1 }).map((n) => ({
    kind: 'truncated',
    bytes: goodRequest.subarray(0, n),
    protocolError: false,
  })),
  fc.integer({ min: MAX_FRAME + 1, max: 0xffffffff }).map((length) => ({
    kind: 'over-limit',
    bytes: frame({ type: FrameType.REQUEST, length }).subarray(0, 8),
    protocolError: true,
  })),
  fc.integer({ min: 0, max: HEADER_SIZE - 5 }).map((length) => ({
    kind: 'under-header',
    bytes: frame({ type: FrameType.PING, length }),
    protocolError: true,
  })),
  fc.oneof(fc.constant(0), fc.integer({ min: 8, max: 255 })).map((type) => ({
    kind: 'unknown-type',
    bytes: frame({ type }),
    protocolError: true,
  })),
  fc.integer({ min: 8, max: 255 }).map((flags) => ({
    kind: 'bad-flags',
    bytes: frame({ type: FrameType.PING, flags }),
    protocolError: true,
  })),
  fc.tuple(id, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([streamId, garbage]) => ({
    kind: 'bad-metadata',
    bytes: frame({
      type: FrameType.REQUEST,
      streamId,
      methodLen: METHOD.length,
      metaLen: garbage.length + 1,
      body: Buffer.concat([METHOD, Buffer.from([0]), Buffer.from(garbage)]),
    }),
    protocolError: true,
  })),
  fc
    .tuple(fc.integer({ min: 1, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }))
    .map(([methodLen, metaLen]) => ({
      kind: 'sections-overflow',
      bytes: frame({
        type: FrameType.REQUEST,
        methodLen,
        metaLen,
        body: METHOD.subarray(0, Math.min(3, methodLen)),
      }),
      protocolError: methodLen + metaLen > Math.min(3, methodLen),
    })),
  fc.constantFrom(FrameType.RESPONSE, FrameType.ERROR).map((type) => ({
    kind: 'server-only-type',
    bytes: frame({ type }),
    protocolError: true,
  })),
  fc.tuple(u32, id).map(([deadline, streamId]) => {
    const f = frame({ type: FrameType.REQUEST, streamId, methodLen: 0 });
    f.writeUInt32BE(deadline, 10);
    return { kind: 'request-without-method', bytes: f, protocolError: true };
  }),
  id.map((streamId) => ({
    kind: 'reused-stream-id',
    bytes: Buffer.concat([
      frame({ type: FrameType.REQUEST, streamId, methodLen: METHOD.length, body: METHOD }),
      frame({ type: FrameType.REQUEST, streamId, methodLen: METHOD.length, body: METHOD }),
    ]),
    protocolError: true,
  })),
);

/** Sends `bytes` on a fresh connection, half-closes, and reports what came back before the close. */
function probe(port: number, bytes: Buffer): Promise<{ protocolGoaway: boolean }> {
  return new Promise((resolve, reject) => {
    let protocolGoaway = false;
    const decoder = new FrameDecoder(
      {
        onFrame: (f) => {
          if (f.type === FrameType.GOAWAY && (f.flags & FLAG_PROTOCOL_ERROR) !== 0) protocolGoaway = true;
        },
      },
      undefined,
      true,
    );
    const socket: Socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`server did not close a fuzz connection within 15 s: ${bytes.toString('hex')}`));
    }, 15_000);
    socket.on('data', (chunk) => decoder.push(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ protocolGoaway });
    });
    socket.end(Buffer.concat([PREFACE, bytes]));
  });
}

describe('malformed input', () => {
  let server: RpcServer;
  let port: number;
  beforeAll(async () => {
    server = createServer({ services: [testService()], maxFrameSize: MAX_FRAME });
    port = (await server.listen()).port;
  });
  afterAll(() => server.shutdown({ graceMs: 0 }));

  it(`survives ${FRAMES} malformed frames over real connections while a good client keeps succeeding`, async () => {
    const seed = 20_261_121;
    const samples = fc.sample(cases, { numRuns: FRAMES, seed });
    const connection = new RpcConnection({ host: '127.0.0.1', port });
    const api = bind(connection, TestApi);
    let good = 0;
    let fuzzing = true;
    const goodClient = (async () => {
      while (fuzzing) {
        expect(await api.echo({ msg: `ok ${good}` }, { deadlineMs: 10_000 })).toEqual({ msg: `ok ${good}` });
        good++;
      }
    })();

    const missing: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < samples.length) {
        const c = samples[next++]!;
        const { protocolGoaway } = await probe(port, c.bytes);
        if (c.protocolError && !protocolGoaway) missing.push(`${c.kind}: ${c.bytes.toString('hex')}`);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, () => worker()));
    fuzzing = false;
    await goodClient;

    expect(missing).toEqual([]);
    expect(good).toBeGreaterThan(100);
    expect(await api.echo({ msg: 'after' })).toEqual({ msg: 'after' });
    expect(connection.state).toBe('ready');
    await expect.poll(() => server.connectionCount).toBe(1);
    await connection.close();
  }, 180_000);
});
