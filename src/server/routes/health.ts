import { sendJson } from '../http-io.js';
import type { Route } from '../router.js';
import type { ApiDeps } from './api-deps.js';

/** `GET /healthz`: liveness plus a few numbers an operator wants at a glance. Never needs auth. */
export function healthRoutes(deps: ApiDeps, startedAt: number): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      handler: ({ res }) => {
        sendJson(res, 200, {
          status: 'ok',
          uptimeMs: Math.round(deps.clock.now() - startedAt),
          revision: deps.state.revision,
          ...deps.state.store.stats(),
        });
      },
    },
  ];
}
