import { Readable } from 'node:stream';
import type { z } from 'zod';
import { lazySchema } from '../core/zod.js';

/** undici RetryHandler's default methods: the idempotent ones. */
export const DEFAULT_RETRY_METHODS: readonly string[] = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'];

/** undici RetryHandler's default error codes: the connection failed or broke before an answer. */
export const DEFAULT_RETRY_ERROR_CODES: readonly string[] = [
  'ECONNRESET',
  'ECONNREFUSED',
  'ENOTFOUND',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
];

/** The request never reached a server (no connection): another endpoint may take it, any method. */
const UNSENT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT']);

/** The endpoint could not be reached at all: discovery hears of it (drops it early if unconfirmed). */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  ...UNSENT_CODES,
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
]);

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export const httpRetryOptionsSchema = lazySchema((z) =>
  z
    .object({
      /** Endpoints tried per request, the first included (default 3). */
      maxAttempts: z.number().int().min(1).max(10).default(3),
      methods: z.array(z.string().min(1)).default([...DEFAULT_RETRY_METHODS]),
      errorCodes: z.array(z.string().min(1)).default([...DEFAULT_RETRY_ERROR_CODES]),
    })
    .strict(),
);

export type HttpRetryOptions = z.input<ReturnType<typeof httpRetryOptionsSchema>>;

/** The error's `code` (Node system errors and undici errors both carry one), or ''. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** A timeout of undici's (connect, headers, body). */
export function isTimeout(error: unknown): boolean {
  return TIMEOUT_CODES.has(errorCode(error));
}

/** The endpoint could not be reached (refused, unreachable, connect timeout). */
export function isUnreachable(error: unknown): boolean {
  return UNREACHABLE_CODES.has(errorCode(error));
}

/**
 * When a failed attempt may go to another endpoint, following undici's RetryHandler: an idempotent
 * method (its default list) failing with a connection error (its default codes), before any of the
 * response reached the caller, with a body that can be sent again. A request whose connection was
 * never established (refused, connect timeout) reached no server, so it moves on whatever its
 * method. Unlike RetryHandler there is no backoff: the retry goes to a different endpoint.
 */
export class RetryRules {
  private readonly methods: ReadonlySet<string>;
  private readonly codes: ReadonlySet<string>;
  readonly maxAttempts: number;

  constructor(options: z.output<ReturnType<typeof httpRetryOptionsSchema>> | false) {
    this.maxAttempts = options === false ? 1 : options.maxAttempts;
    this.methods = new Set(options === false ? [] : options.methods);
    this.codes = new Set(options === false ? [] : options.errorCodes);
  }

  mayRetry(method: string, body: unknown, error: unknown, attempts: number): boolean {
    if (attempts >= this.maxAttempts) return false;
    const code = errorCode(error);
    // No connection: undici never started writing, so any body (fetch's async iterable too) is
    // untouched and goes to the next endpoint as it is — unless someone else already read a stream.
    if (UNSENT_CODES.has(code)) return !(body instanceof Readable && Readable.isDisturbed(body));
    return replayable(body) && this.methods.has(method) && this.codes.has(code);
  }
}

/** A body that can be sent again: none, bytes, or a stream nobody has read from yet. */
function replayable(body: unknown): boolean {
  if (body === null || body === undefined || typeof body === 'string' || body instanceof Uint8Array)
    return true;
  if (body instanceof Readable) return !Readable.isDisturbed(body);
  return false;
}
