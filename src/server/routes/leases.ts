import { parseWith } from '../../core/validate.js';
import { readJsonBody, sendJson, sendNoContent } from '../http-io.js';
import type { Route } from '../router.js';
import { grantBodySchema, leaseIdParamSchema } from '../schemas.js';
import type { ApiDeps } from './api-deps.js';

/**
 * Lease routes: grant, the batched keep-alive (one request renews every instance of a registrar
 * session, and answers with the instances the lease still holds), revoke. A lease belongs to the
 * identity that granted it; an unknown lease is 404 LEASE_LOST, another identity's lease 403.
 */
export function leaseRoutes(deps: ApiDeps): Route[] {
  const { state, gate } = deps;
  return [
    {
      method: 'POST',
      path: '/v1/leases',
      handler: async ({ req, res }) => {
        const { principal, limits } = gate.admit(req, { access: 'write' });
        const body = parseWith(grantBodySchema(), await readJsonBody(req, deps.maxBodyBytes), 'body');
        sendJson(res, 201, state.grant(body.ttlMs, principal, limits));
      },
    },
    {
      method: 'POST',
      path: '/v1/leases/:lease/keepalive',
      handler: ({ req, res, params }) => {
        const { principal } = gate.admit(req, { access: 'write' }, 'keep-alive');
        const id = parseWith(leaseIdParamSchema(), params.lease, 'lease');
        sendJson(res, 200, { instances: state.keepAlive(id, principal) });
      },
    },
    {
      method: 'DELETE',
      path: '/v1/leases/:lease',
      handler: ({ req, res, params }) => {
        const { principal } = gate.admit(req, { access: 'write' });
        state.revoke(parseWith(leaseIdParamSchema(), params.lease, 'lease'), principal);
        sendNoContent(res);
      },
    },
  ];
}
