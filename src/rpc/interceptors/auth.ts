import { timingSafeEqual } from 'node:crypto';
import { ProximaError } from '../../core/errors.js';
import type { ClientInterceptor } from '../client/interceptor.js';
import type { CallContext, ServerInterceptor } from '../server/context.js';

/** The metadata key tokens travel in. */
export const AUTHORIZATION = 'authorization';

/**
 * Client side: sends `authorization: Bearer <token>` with every call. `token` may be a function
 * (read per call, for rotating tokens).
 *
 * @example
 * ```ts
 * const transport = withInterceptors(connection, [bearerToken(() => process.env.PROXIMA_TOKEN ?? '')]);
 * ```
 */
export function bearerToken(token: string | (() => string)): ClientInterceptor {
  return (next) => (method, request, options) => {
    const value = `Bearer ${typeof token === 'function' ? token() : token}`;
    return next(method, request, { ...options, metadata: { ...options.metadata, [AUTHORIZATION]: value } });
  };
}

export interface RequireTokenOptions {
  /**
   * Decides whether a token is valid for the call. Return false for UNAUTHENTICATED; throw a
   * PERMISSION_DENIED ProximaError for a valid token that may not call this method.
   */
  readonly verify?: (token: string, ctx: CallContext) => boolean | Promise<boolean>;
  /** Shortcut for `verify`: the accepted tokens (compared in constant time). */
  readonly tokens?: readonly string[];
  /** Methods (`service.method`) served without a token, e.g. health checks. */
  readonly exempt?: readonly string[];
}

/**
 * Server side: refuses calls without a valid bearer token with UNAUTHENTICATED before the handler
 * runs (so the refusal is `unprocessed`).
 *
 * @example
 * ```ts
 * createServer({ services, interceptors: [requireToken({ tokens: [process.env.PROXIMA_TOKEN!] })] });
 * ```
 */
export function requireToken(options: RequireTokenOptions): ServerInterceptor {
  const accepted = (options.tokens ?? []).map((t) => Buffer.from(t, 'utf8'));
  const exempt = new Set(options.exempt ?? []);
  const verify =
    options.verify ??
    ((token: string): boolean => {
      const given = Buffer.from(token, 'utf8');
      return accepted.some((a) => a.length === given.length && timingSafeEqual(a, given));
    });
  return (next) => async (request, ctx) => {
    if (exempt.has(ctx.method)) return next(request, ctx);
    const header = ctx.metadata[AUTHORIZATION];
    if (header === undefined || !header.startsWith('Bearer ')) {
      throw new ProximaError('UNAUTHENTICATED', `${ctx.method}: missing bearer token`, { unprocessed: true });
    }
    if (!(await verify(header.slice('Bearer '.length), ctx))) {
      throw new ProximaError('UNAUTHENTICATED', `${ctx.method}: invalid token`, { unprocessed: true });
    }
    return next(request, ctx);
  };
}
