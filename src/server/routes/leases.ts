import { parseWith } from '../../core/validate.js';
import { readJsonBody, sendJson, sendNoContent } from '../http-io.js';
import type { Route } from '../router.js';
import { grantBodySchema, leaseIdParamSchema } from '../schemas.js';
import type { ApiDeps } from './api-deps.js';

/**
 * Lease routes: grant, the batched keep-alive (one request renews every instance of a registrar
 * session), revoke.
 */
export function leaseRoutes(deps: ApiDeps): Route[] {
  const { state, auth } = deps;
  return [
    {
      method: 'POST',
      path: '/v1/leases',
      handler: async ({ req, res }) => {
        await auth.authorize(req, { access: 'write' });
        const body = parseWith(grantBodySchema, await readJsonBody(req, deps.maxBodyBytes), 'body');
        sendJson(res, 201, state.grant(body.ttlMs));
      },
    },
    {
      method: 'POST',
      path: '/v1/leases/:lease/keepalive',
      handler: async ({ req, res, params }) => {
        await auth.authorize(req, { access: 'write' });
        const id = parseWith(leaseIdParamSchema, params.lease, 'lease');
        state.keepAlive(id);
        sendNoContent(res);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/leases/:lease',
      handler: async ({ req, res, params }) => {
        await auth.authorize(req, { access: 'write' });
        state.revoke(parseWith(leaseIdParamSchema, params.lease, 'lease'));
        sendNoContent(res);
      },
    },
  ];
}
