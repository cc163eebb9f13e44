import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../core/clock.js';

/**
 * One Server-Sent-Events stream. Writes messages, sends a comment heartbeat every `heartbeatMs`
 * (so clients and proxies notice a dead connection), and drops a client whose unread output
 * passes `maxBufferedBytes` (it reconnects and resumes by revision instead of costing memory).
 */
export class SseStream {
  private timer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly clock: Clock,
    private readonly heartbeatMs: number,
    private readonly maxBufferedBytes = 8 * 1024 * 1024,
  ) {}

  /** Sends the headers and a first comment, and starts the heartbeat. */
  open(comment: string): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'x-proxima-heartbeat-ms': String(this.heartbeatMs),
    });
    this.res.flushHeaders();
    this.write(`: ${comment}\nretry: 1000\n\n`);
    this.schedule();
  }

  /** Sends one message. `data` is JSON-encoded onto a single line. */
  send(event: string, id: string, data: unknown): void {
    this.write(`event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Stops the heartbeat and ends the response. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    if (!this.res.destroyed) this.res.end();
  }

  private write(text: string): void {
    if (this.closed || this.res.destroyed) return;
    this.res.write(text);
    if (this.res.writableLength > this.maxBufferedBytes) {
      this.closed = true;
      if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
      this.res.destroy();
    }
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      this.write(': heartbeat\n\n');
      if (!this.closed) this.schedule();
    }, this.heartbeatMs);
    this.timer.unref?.();
  }
}
