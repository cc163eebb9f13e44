import { connect } from 'node:net';
import { Agent, request } from 'undici';

/** A plain HTTP client for poking the API with exactly the bytes a test wants. */
export class RawClient implements AsyncDisposable {
  private readonly agent = new Agent();

  constructor(private readonly baseUrl: string) {}

  /** Sends a request; `body` strings are sent verbatim, anything else as JSON. */
  async send(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{
    status: number;
    json: Record<string, unknown> | undefined;
    headers: Record<string, unknown>;
  }> {
    const response = await request(this.baseUrl + path, {
      method: method as 'GET',
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
      dispatcher: this.agent,
    });
    const text = await response.body.text();
    return {
      status: response.statusCode,
      json: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
      headers: response.headers,
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.agent.close();
  }
}

/** Writes raw bytes on a fresh TCP connection and returns everything the server sends until it closes. */
export function rawExchange(port: number, bytes: string | Buffer, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      if (chunks.length > 0) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    socket.write(bytes);
  });
}

/** Reads an SSE stream for `ms` and returns its text (for checking the wire format). */
export async function readSse(
  url: string,
  ms: number,
  headers: Record<string, string> = {},
): Promise<string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  let text = '';
  try {
    const response = await fetch(url, { headers, signal: controller.signal });
    const decoder = new TextDecoder();
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) text += decoder.decode(chunk);
  } catch {
    // aborted: done reading
  } finally {
    clearTimeout(timer);
  }
  return text;
}
