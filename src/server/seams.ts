import type { IncomingMessage } from 'node:http';
import type { SecureContextOptions } from 'node:tls';
import { ErrorCode, ProximaError } from '../core/errors.js';
import type { LimitsInput } from './security/limits.js';

/**
 * Extension points of the registry server: who a request comes from ({@link AuthPolicy}) and the
 * key material of HTTPS. The default policy ({@link allowAll}) keeps a loopback registry open
 * with zero configuration; `startRegistryServer({ acl })` puts the token ACL in its place.
 */

/** What a request is about to do, for {@link requireAccess} to judge. */
export interface RequestScope {
  /** `read` (list, services, watch), `write` (register, update, deregister, leases) or `admin`. */
  readonly access: 'read' | 'write' | 'admin';
  /** The service the request touches; without it, `write` means "may write some service". */
  readonly service?: string;
}

/** Who sent a request, as the server's {@link AuthPolicy} established it. */
export interface Principal {
  /** The identity: a token's `name`, or `anonymous`. Leases belong to it. Never the token itself. */
  readonly name: string;
  /** May do everything, and use (keep alive, revoke) any identity's lease. */
  readonly admin: boolean;
  /** Key of the limits and the request rate: the token name, or the client address without ACLs. */
  readonly limitKey: string;
  /** Overrides of the server's default limits for this identity (from the ACL file). */
  readonly limits?: LimitsInput;
  /** Whether this identity may read / write `service` (no service: any service at all). */
  may(access: 'read' | 'write', service?: string): boolean;
}

/** Establishes who sent a request. Throws UNAUTHENTICATED (401) for a missing or unknown token. */
export interface AuthPolicy {
  authenticate(request: IncomingMessage): Principal;
  /** True when requests need a token to see anything (the dashboard then asks for one). */
  readonly requiresToken: boolean;
}

/** Throws PERMISSION_DENIED (403) naming the service and the access needed, unless allowed. */
export function requireAccess(principal: Principal, scope: RequestScope): void {
  if (principal.admin) return;
  if (scope.access !== 'admin' && principal.may(scope.access, scope.service)) return;
  const what = scope.service === undefined ? 'any service' : `service "${scope.service}"`;
  throw new ProximaError(
    ErrorCode.PERMISSION_DENIED,
    scope.access === 'admin'
      ? `"${principal.name}" is not an admin`
      : `"${principal.name}" lacks ${scope.access} access to ${what}`,
  );
}

/** The client address of a request, as a limit key. */
export function clientAddress(request: IncomingMessage): string {
  return `address ${request.socket.remoteAddress ?? 'unknown'}`;
}

/**
 * Everyone is `anonymous` and may do everything; limits count per client address. The default,
 * allowed only on loopback (or with `--insecure`).
 */
export const allowAll: AuthPolicy = {
  requiresToken: false,
  authenticate: (request) => ({
    name: 'anonymous',
    admin: true,
    limitKey: clientAddress(request),
    may: () => true,
  }),
};

/** Key material for HTTPS. When given, the server listens with `node:https` and its URL is `https://`. */
export interface TlsOptions {
  readonly key: SecureContextOptions['key'];
  readonly cert: SecureContextOptions['cert'];
  /** CA of client certificates: with it, every client must present a certificate it signed (mTLS). */
  readonly ca?: SecureContextOptions['ca'];
}
