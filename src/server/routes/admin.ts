import { sendNoContent } from '../http-io.js';
import type { Route } from '../router.js';
import type { ApiDeps } from './api-deps.js';

/**
 * Admin routes, mounted only with `admin: true` (tests and benchmarks): `POST /v1/admin/compact`
 * drops the watch history so resumes from older revisions get a `reset`.
 */
export function adminRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/admin/compact',
      handler: ({ req, res }) => {
        deps.gate.admit(req, { access: 'admin' });
        deps.state.compact();
        sendNoContent(res);
      },
    },
  ];
}
