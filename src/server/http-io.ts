import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, ProximaError, toProximaError } from '../core/errors.js';
import { httpStatusOf } from '../core/http-status.js';

/**
 * Small JSON-over-HTTP helpers: bounded body reading, JSON replies, and the one error format
 * (`{code, message, field?, retryable}`) with a status derived from the error code.
 */

/** An error with an HTTP status other than the one its code implies (413, 405, 415). */
export class HttpError extends ProximaError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
    options: { field?: string; headers?: Readonly<Record<string, string>>; retryable?: boolean } = {},
  ) {
    super(code, message, {
      ...(options.field === undefined ? {} : { field: options.field }),
      ...(options.retryable === undefined ? {} : { retryable: options.retryable }),
    });
    this.headers = options.headers ?? {};
  }

  readonly headers: Readonly<Record<string, string>>;
}

/** The HTTP status for an error: explicit on {@link HttpError}, else by code, else 500. */
export function statusOf(error: ProximaError): number {
  if (error instanceof HttpError) return error.status;
  return httpStatusOf(error.code) ?? 500;
}

/** Writes a JSON body with the given status. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Replies 204 No Content. */
export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

/** Writes the error format; internal errors keep their detail out of the reply. */
export function sendError(res: ServerResponse, thrown: unknown): ProximaError {
  const error = toProximaError(thrown);
  const status = statusOf(error);
  if (res.headersSent) {
    res.destroy();
    return error;
  }
  const body =
    status >= 500 && error.code === ErrorCode.INTERNAL
      ? { code: error.code, message: 'internal error', retryable: false }
      : error.toJSON();
  sendJson(res, status, body, error instanceof HttpError ? error.headers : {});
  return error;
}

/**
 * Reads the whole body and parses it as JSON, refusing more than `maxBytes` (413, and the
 * connection is closed so the rest of an oversized upload is never read). An empty body is `{}`.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(
      400,
      ErrorCode.INVALID_ARGUMENT,
      `body: malformed JSON (${(error as Error).message})`,
      {
        field: 'body',
      },
    );
  }
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(
    413,
    ErrorCode.RESOURCE_EXHAUSTED,
    `body: larger than the limit of ${maxBytes} bytes`,
    {
      field: 'body',
      headers: { connection: 'close' },
    },
  );
}
