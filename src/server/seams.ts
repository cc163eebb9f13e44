import type { IncomingMessage } from 'node:http';
import type { SecureContextOptions } from 'node:tls';

/**
 * Extension points a later issue fills (token ACLs, TLS, rate limits). Each has a no-op default so
 * the server works unconfigured on one machine; a real policy replaces the default through
 * {@link RegistryServerOptions}, never by patching the handlers.
 */

/** What a request is about to do, for an {@link AuthPolicy} to judge. */
export interface RequestScope {
  /** `read` (list, services, watch), `write` (register, update, deregister, leases) or `admin`. */
  readonly access: 'read' | 'write' | 'admin';
  /** The service the request touches, when it names one. */
  readonly service?: string;
}

/**
 * Decides whether a request may proceed. Throw a ProximaError UNAUTHENTICATED (401) or
 * PERMISSION_DENIED (403) to refuse; return to allow.
 */
export interface AuthPolicy {
  authorize(request: IncomingMessage, scope: RequestScope): void | Promise<void>;
}

/** Allows everything: the default for a registry bound to loopback. */
export const allowAll: AuthPolicy = { authorize: () => undefined };

/**
 * Admits or refuses a request before it is parsed. Throw a ProximaError RESOURCE_EXHAUSTED to
 * refuse (the server answers 429).
 */
export interface RateLimiter {
  admit(request: IncomingMessage): void | Promise<void>;
}

/** Admits everything. */
export const unlimited: RateLimiter = { admit: () => undefined };

/** Key material for HTTPS. When given, the server listens with `node:https` and its URL is `https://`. */
export interface TlsOptions {
  readonly key: SecureContextOptions['key'];
  readonly cert: SecureContextOptions['cert'];
  readonly ca?: SecureContextOptions['ca'];
}
