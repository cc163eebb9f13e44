import { describe, expect, it } from 'vitest';
import { isProximaError } from '../core/errors.js';
import { HttpError } from './http-io.js';
import { RouteTable } from './router.js';

const noop = (): void => undefined;

describe('RouteTable', () => {
  const router = new RouteTable().mount(
    { method: 'GET', path: '/v1/services/:service', handler: noop },
    { method: 'DELETE', path: '/v1/services/:service/instances/:id', handler: noop },
    { method: 'GET', path: '/ui/*', handler: noop },
  );

  it('matches literal segments and decodes parameters', () => {
    const match = router.match('DELETE', '/v1/services/users/instances/a%3A1');
    expect(match).toMatchObject({ kind: 'found', params: { service: 'users', id: 'a:1' } });
    expect(router.match('HEAD', '/v1/services/users')).toMatchObject({ kind: 'found' });
    expect(router.match('GET', '/ui/js/app.js')).toMatchObject({
      kind: 'found',
      params: { '*': 'js/app.js' },
    });
  });

  it('tells an unknown path (404) from a wrong method (405 with Allow)', () => {
    expect(router.match('GET', '/v2/anything')).toEqual({ kind: 'not-found' });
    const wrong = router.match('POST', '/v1/services/users');
    expect(wrong).toEqual({ kind: 'wrong-method', allow: ['GET'] });
    const error = (() => {
      try {
        RouteTable.refuse(wrong, 'POST', '/v1/services/users');
      } catch (e) {
        return e;
      }
    })();
    expect(error instanceof HttpError && [error.status, error.headers.allow]).toEqual([405, 'GET']);
    expect(isProximaError(error)).toBe(true);
  });

  it('replaces a route mounted again with the same method and path', () => {
    const replaced = new RouteTable().mount({ method: 'GET', path: '/x', handler: noop });
    const other = (): void => undefined;
    replaced.mount({ method: 'GET', path: '/x', handler: other });
    const match = replaced.match('GET', '/x');
    expect(match.kind === 'found' && match.route.handler).toBe(other);
  });

  it('does not match a malformed percent-encoding', () => {
    expect(router.match('GET', '/v1/services/%E0%A4%A')).toEqual({ kind: 'not-found' });
  });
});
