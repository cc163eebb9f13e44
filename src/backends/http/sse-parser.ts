/** One dispatched Server-Sent-Events message. */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
  /** The `id:` of this message, if it had one. */
  readonly id: string | undefined;
}

/**
 * An incremental parser of the `text/event-stream` format (the WHATWG rules that matter here:
 * `event`, `data` (joined by newlines), `id`, comments, CRLF/LF/CR line ends, a message dispatched
 * only at its blank line — so a message cut by a dropped connection is never half-delivered).
 */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  /** The last chunk ended in CR: a LF starting the next one belongs to that line end. */
  private pendingCr = false;

  /** Feeds a chunk of text; returns the messages it completed. */
  push(chunk: string): SseMessage[] {
    this.buffer += this.pendingCr && chunk.startsWith('\n') ? chunk.slice(1) : chunk;
    this.pendingCr = false;
    const out: SseMessage[] = [];
    for (;;) {
      const end = /\r\n|\n|\r/.exec(this.buffer);
      if (end === null) break;
      const line = this.buffer.slice(0, end.index);
      this.buffer = this.buffer.slice(end.index + end[0].length);
      if (end[0] === '\r' && this.buffer === '') this.pendingCr = true;
      const message = this.line(line);
      if (message !== undefined) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        this.id = undefined;
        return undefined;
      }
      const message: SseMessage = { event: this.event || 'message', data: this.data.join('\n'), id: this.id };
      this.event = '';
      this.data = [];
      this.id = undefined;
      return message;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    return undefined;
  }
}
