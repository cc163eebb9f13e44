import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { ErrorCode } from '../../core/errors.js';
import { HttpError } from '../http-io.js';

/**
 * Browser-facing hardening, checked before any route runs (issue 9: any web page could create
 * leases with a `text/plain` POST, and the `Host` header was never checked):
 * - the `Host` must be one this server answers to, else `421` — a DNS-rebinding page has a
 *   foreign name in it;
 * - a body must be `application/json`, else `415` — cross-site "simple" requests (form posts,
 *   `text/plain`) cannot send that type without a CORS preflight, which this server never grants;
 * - GET, HEAD and DELETE carry no body: one is refused (`400`) unread, and the connection closed.
 */

/** Host names (no port; IPv6 without brackets) a server answers to, or `'*'` for any. */
export type AllowedHosts = ReadonlySet<string> | '*';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** True for `localhost`, 127.0.0.0/8 and ::1. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
}

/** True for the wildcard binds `0.0.0.0` and `::`. */
export function isWildcardHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return bare === '0.0.0.0' || bare === '::';
}

/**
 * The default `--allowed-hosts`: the bind address, plus `localhost`, `127.0.0.1` and `::1` when
 * bound to loopback. A wildcard bind (`0.0.0.0`, `::`) has no one name, so it accepts any host
 * unless `--allowed-hosts` is given.
 */
export function defaultAllowedHosts(bindHost: string): AllowedHosts {
  if (isWildcardHost(bindHost)) return '*';
  const bare = bindHost.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return new Set(isLoopbackHost(bare) ? [bare, ...LOOPBACK_NAMES] : [bare]);
}

/** Parses `--allowed-hosts a,b,[::1]` (or `*`). */
export function parseAllowedHosts(list: readonly string[]): AllowedHosts {
  const names = list
    .map((h) =>
      h
        .trim()
        .replace(/^\[(.*)\]$/, '$1')
        .toLowerCase(),
    )
    .filter((h) => h !== '');
  return names.includes('*') ? '*' : new Set(names);
}

/** The host name of a `Host` header value, without port or IPv6 brackets. */
function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(1, value.indexOf(']') < 0 ? undefined : value.indexOf(']'));
  const colon = value.lastIndexOf(':');
  return colon < 0 ? value : value.slice(0, colon);
}

const CLOSE = { connection: 'close' } as const;

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Refuses a request that fails the checks above; returns to let it through. */
export function guardRequest(req: IncomingMessage, allowedHosts: AllowedHosts): void {
  if (allowedHosts !== '*') {
    const header = req.headers.host;
    const name = header === undefined ? undefined : hostName(header);
    if (name === undefined || !allowedHosts.has(name)) {
      throw new HttpError(
        421,
        ErrorCode.PERMISSION_DENIED,
        `Host: ${header === undefined ? 'missing' : `"${header.slice(0, 100)}" is not served here`} ` +
          `(allowed: ${[...allowedHosts].join(', ')}; see --allowed-hosts)`,
        { field: 'Host', headers: CLOSE },
      );
    }
  }
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD' || method === 'DELETE') {
    if (hasBody(req)) {
      throw new HttpError(400, ErrorCode.INVALID_ARGUMENT, `body: not allowed on ${method}`, {
        field: 'body',
        headers: CLOSE,
      });
    }
    return;
  }
  const type = req.headers['content-type'];
  if (type === undefined && !hasBody(req)) return;
  const media = (type ?? '').split(';')[0]?.trim().toLowerCase();
  if (media !== 'application/json') {
    throw new HttpError(
      415,
      ErrorCode.INVALID_ARGUMENT,
      `Content-Type: expected application/json, got ${type === undefined ? 'none' : `"${type.slice(0, 100)}"`}`,
      { field: 'Content-Type', headers: CLOSE },
    );
  }
}
