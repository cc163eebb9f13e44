import type { Socket } from 'node:net';
import type { Encoded } from '../../src/rpc/wire/codec.js';

/** A length-prefixed frame holding a copy of the encoded bytes. */
export function rawFrame(body: Encoded): Buffer {
  const size = body.end - body.start;
  const frame = Buffer.allocUnsafe(4 + size);
  frame.writeUInt32BE(size, 0);
  body.buf.copy(frame, 4, body.start, body.end);
  return frame;
}

/**
 * The floor of the benchmark: length-prefixed msgpack messages over TCP with nothing else: no
 * stream ids, headers, deadlines, validation or timers; answers matched by order. Writes are corked and uncorked after at most 16 frames or at the end of the
 * current microtasks, the same coalescing rule Proxima's writer follows.
 */
export class RawFramer {
  private frames = 0;
  private scheduled = false;
  private readonly uncork = (): void => {
    this.scheduled = false;
    if (this.frames === 0) return;
    this.frames = 0;
    this.socket.uncork();
  };

  constructor(
    private readonly socket: Socket,
    private readonly maxFrames = 16,
  ) {}

  send(frame: Buffer): void {
    if (this.frames === 0) this.socket.cork();
    this.socket.write(frame);
    if (++this.frames >= this.maxFrames) {
      this.frames = 0;
      this.socket.uncork();
    } else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.uncork);
    }
  }
}

/** Splits a byte stream into length-prefixed frames (views into the chunk when whole). */
export class RawDeframer {
  private rest: Buffer | null = null;

  constructor(private readonly onFrame: (frame: Buffer) => void) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest !== null) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off);
      if (buf.length - off < 4 + len) break;
      this.onFrame(buf.subarray(off, off + 4 + len));
      off += 4 + len;
    }
    if (off < buf.length) this.rest = Buffer.from(buf.subarray(off));
  }
}
