import { parseWith } from '../../core/validate.js';
import { readJsonBody, sendJson, sendNoContent } from '../http-io.js';
import type { Route, RouteContext } from '../router.js';
import {
  instanceIdParamSchema,
  leaseIdParamSchema,
  patchBodySchema,
  registerBodySchema,
  serviceParamSchema,
} from '../schemas.js';
import { requireAccess } from '../seams.js';
import type { ApiDeps } from './api-deps.js';

/**
 * Instance and service routes: register, update, deregister, list a service, list services (only
 * those the caller may read).
 */
export function instanceRoutes(deps: ApiDeps): Route[] {
  const { state, gate } = deps;
  const target = ({ params }: RouteContext): { service: string; id: string } => ({
    service: parseWith(serviceParamSchema(), params.service, 'service'),
    id: parseWith(instanceIdParamSchema(), params.id, 'id'),
  });
  return [
    {
      method: 'POST',
      path: '/v1/instances',
      handler: async ({ req, res }) => {
        const { principal, limits } = gate.admit(req, { access: 'write' });
        const body = parseWith(registerBodySchema(), await readJsonBody(req, deps.maxBodyBytes), 'body');
        requireAccess(principal, { access: 'write', service: body.instance.service });
        sendJson(res, 200, { instance: state.register(body.lease, body.instance, principal, limits) });
      },
    },
    {
      method: 'PATCH',
      path: '/v1/services/:service/instances/:id',
      handler: async (ctx) => {
        const { service, id } = target(ctx);
        const { principal } = gate.admit(ctx.req, { access: 'write', service });
        const body = parseWith(patchBodySchema(), await readJsonBody(ctx.req, deps.maxBodyBytes), 'body');
        sendJson(ctx.res, 200, { instance: state.update(service, id, body.lease, body.patch, principal) });
      },
    },
    {
      method: 'DELETE',
      path: '/v1/services/:service/instances/:id',
      handler: async (ctx) => {
        const { service, id } = target(ctx);
        const { principal } = gate.admit(ctx.req, { access: 'write', service });
        const lease = parseWith(leaseIdParamSchema(), ctx.query.get('lease') ?? undefined, 'lease');
        state.deregister(service, id, lease, principal);
        sendNoContent(ctx.res);
      },
    },
    {
      method: 'GET',
      path: '/v1/services',
      handler: ({ req, res }) => {
        const { principal } = gate.admit(req, { access: 'read' });
        sendJson(res, 200, { services: state.services().filter((s) => principal.may('read', s)) });
      },
    },
    {
      method: 'GET',
      path: '/v1/services/:service',
      handler: ({ req, res, params }) => {
        const service = parseWith(serviceParamSchema(), params.service, 'service');
        gate.admit(req, { access: 'read', service });
        sendJson(res, 200, state.list(service));
      },
    },
  ];
}
