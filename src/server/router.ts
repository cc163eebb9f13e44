import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../core/errors.js';
import { HttpError } from './http-io.js';

/** What a handler receives: the raw request/response plus the matched path parameters and query. */
export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Decoded `:name` segments of the route pattern. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
}

export type RouteHandler = (ctx: RouteContext) => void | Promise<void>;

/**
 * One entry of the route table. Patterns are literal segments and `:name` parameters, e.g.
 * `/v1/services/:service/instances/:id`; a trailing `/*` matches any rest (for static files).
 */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  readonly path: string;
  readonly handler: RouteHandler;
}

interface CompiledRoute extends Route {
  readonly segments: readonly string[];
  readonly rest: boolean;
}

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Record<string, string> }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'wrong-method'; readonly allow: readonly string[] };

/**
 * The server's route table. Small on purpose: `/metrics`, the dashboard (`/ui`) and admin routes
 * are added with {@link RouteTable.mount} by the modules that own them, without touching the server.
 *
 * @example
 * ```ts
 * server.router.mount({ method: 'GET', path: '/metrics', handler: ({ res }) => res.end(text) });
 * ```
 */
export class RouteTable {
  private readonly routes: CompiledRoute[] = [];

  /** Adds routes; a later route with the same method and pattern replaces the earlier one. */
  mount(...routes: Route[]): this {
    for (const route of routes) {
      const index = this.routes.findIndex((r) => r.method === route.method && r.path === route.path);
      const compiled = compile(route);
      if (index >= 0) this.routes[index] = compiled;
      else this.routes.push(compiled);
    }
    return this;
  }

  /** Finds the route for a method and path, telling "no such path" apart from "wrong method". */
  match(method: string, pathname: string): RouteMatch {
    const parts = pathname.split('/').filter((p) => p !== '');
    const allow: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route, parts);
      if (params === undefined) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
        return { kind: 'found', route, params };
      }
      allow.push(route.method);
    }
    return allow.length > 0 ? { kind: 'wrong-method', allow } : { kind: 'not-found' };
  }

  /** Throws the 404/405 for a failed match. */
  static refuse(match: RouteMatch, method: string, pathname: string): never {
    if (match.kind === 'wrong-method') {
      throw new HttpError(405, ErrorCode.UNIMPLEMENTED, `method ${method} not allowed on ${pathname}`, {
        headers: { allow: match.allow.join(', ') },
      });
    }
    throw new HttpError(404, ErrorCode.NOT_FOUND, `no route for ${method} ${pathname}`);
  }
}

function compile(route: Route): CompiledRoute {
  const segments = route.path.split('/').filter((p) => p !== '');
  const rest = segments.at(-1) === '*';
  return { ...route, segments: rest ? segments.slice(0, -1) : segments, rest };
}

function matchSegments(route: CompiledRoute, parts: readonly string[]): Record<string, string> | undefined {
  if (route.rest ? parts.length < route.segments.length : parts.length !== route.segments.length) {
    return undefined;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const pattern = route.segments[i] ?? '';
    const part = parts[i] ?? '';
    if (pattern.startsWith(':')) {
      try {
        params[pattern.slice(1)] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    } else if (pattern !== part) {
      return undefined;
    }
  }
  if (route.rest) params['*'] = parts.slice(route.segments.length).join('/');
  return params;
}
