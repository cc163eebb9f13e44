import { timingSafeEqual } from 'node:crypto';
import { ProximaError } from '../../core/errors.js';
import type { ClientInterceptor } from '../client/interceptor.js';
import type { CallContext, ServerInterceptor } from '../server/context.js';
import { type PeerIdentity, identityNames } from '../tls/identity.js';

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

/** {@link requireAuth}'s options: bearer tokens, mTLS identities, or both (either one admits a call). */
export interface RequireAuthOptions extends RequireTokenOptions {
  /**
   * Callers admitted by their verified client certificate (mutual TLS, `ctx.peer.identity`): a
   * name here matches the subject CN or any SAN (DNS name, URI such as a SPIFFE id, IP, email).
   */
  readonly identities?: readonly string[];
  /**
   * Decides by identity instead of (or as well as) the list. Return false to not admit the caller
   * by identity (a token may still admit it); throw PERMISSION_DENIED to refuse outright.
   */
  readonly verifyIdentity?: (identity: PeerIdentity, ctx: CallContext) => boolean | Promise<boolean>;
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
  return requireAuth({ ...options, tokens: options.tokens ?? [] });
}

/**
 * Server side: admits a call when its caller's verified certificate identity is allowed
 * (`identities` / `verifyIdentity`, on a server with mutual TLS) or it carries a valid bearer token
 * (`tokens` / `verify`). Otherwise: UNAUTHENTICATED when it brought neither (or a wrong token),
 * PERMISSION_DENIED when its certificate names someone not allowed. Refusals happen before the
 * handler runs, so they are `unprocessed`.
 *
 * @example
 * ```ts
 * createServer({
 *   services,
 *   tls: { cert, key, ca }, // client certificates required
 *   interceptors: [requireAuth({ identities: ['spiffe://prod/orders'], tokens: [adminToken] })],
 * });
 * ```
 */
export function requireAuth(options: RequireAuthOptions): ServerInterceptor {
  const accepted = (options.tokens ?? []).map((t) => Buffer.from(t, 'utf8'));
  const byToken = options.tokens !== undefined || options.verify !== undefined;
  const exempt = new Set(options.exempt ?? []);
  const names = new Set(options.identities ?? []);
  const byIdentity = options.identities !== undefined || options.verifyIdentity !== undefined;
  const verify =
    options.verify ??
    ((token: string): boolean => {
      const given = Buffer.from(token, 'utf8');
      return accepted.some((a) => a.length === given.length && timingSafeEqual(a, given));
    });
  const identityAllowed = async (identity: PeerIdentity, ctx: CallContext): Promise<boolean> => {
    if (identityNames(identity).some((n) => names.has(n))) return true;
    return options.verifyIdentity === undefined ? false : options.verifyIdentity(identity, ctx);
  };
  return (next) => async (request, ctx) => {
    if (exempt.has(ctx.method)) return next(request, ctx);
    const identity = ctx.peer.identity;
    if (byIdentity && identity !== undefined && (await identityAllowed(identity, ctx))) {
      return next(request, ctx);
    }
    const header = ctx.metadata[AUTHORIZATION];
    if (byToken && header !== undefined && header.startsWith('Bearer ')) {
      if (await verify(header.slice('Bearer '.length), ctx)) return next(request, ctx);
      throw new ProximaError('UNAUTHENTICATED', `${ctx.method}: invalid token`, { unprocessed: true });
    }
    if (byIdentity && identity !== undefined) {
      const who = identity.commonName === '' ? (identityNames(identity)[0] ?? '?') : identity.commonName;
      throw new ProximaError(
        'PERMISSION_DENIED',
        `${ctx.method}: certificate identity "${who}" is not allowed`,
        {
          unprocessed: true,
        },
      );
    }
    const wanted = [byToken ? 'bearer token' : '', byIdentity ? 'allowed client certificate' : '']
      .filter(Boolean)
      .join(' or ');
    throw new ProximaError('UNAUTHENTICATED', `${ctx.method}: missing ${wanted || 'credentials'}`, {
      unprocessed: true,
    });
  };
}
