import { ErrorCode } from '../../core/errors.js';
import { parseWith } from '../../core/validate.js';
import { HttpError } from '../http-io.js';
import type { Route } from '../router.js';
import { revisionSchema, serviceParamSchema } from '../schemas.js';
import { SseStream } from '../sse.js';
import type { ApiDeps } from './api-deps.js';

/**
 * `GET /v1/services/:service/watch`: the changes of a service as Server-Sent Events.
 *
 * Each message carries one revision: `event: reset` (the full set) or `event: change` (its
 * upserts/deletes), `id:` the revision, `data:` `{"revision":N,"events":[WatchEvent…]}`. A client
 * resumes with `Last-Event-ID: N` (from N + 1) or `?fromRevision=N` (from N); a revision the server
 * no longer has, or none, starts with a `reset`.
 */
export function watchRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/services/:service/watch',
      handler: async ({ req, res, params, query }) => {
        const service = parseWith(serviceParamSchema, params.service, 'service');
        await deps.auth.authorize(req, { access: 'read', service });
        const fromRevision = resumeRevision(req.headers['last-event-id'], query.get('fromRevision'));

        const stop = new AbortController();
        const signal = AbortSignal.any([stop.signal, deps.closing]);
        const stream = new SseStream(res, deps.clock, deps.heartbeatMs);
        res.on('close', () => stop.abort());
        stream.open(`watching ${service}`);
        try {
          for await (const events of deps.state.watch(service, fromRevision, signal)) {
            const revision = events[0]?.revision ?? 0;
            const type = events[0]?.type === 'reset' ? 'reset' : 'change';
            stream.send(type, String(revision), { revision, events });
          }
        } catch (error) {
          if (!signal.aborted) deps.logger.warn({ err: error, service }, 'watch stream failed');
        } finally {
          stop.abort();
          stream.close();
        }
      },
    },
  ];
}

function resumeRevision(
  lastEventId: string | string[] | undefined,
  query: string | null,
): number | undefined {
  if (Array.isArray(lastEventId)) {
    throw new HttpError(400, ErrorCode.INVALID_ARGUMENT, 'Last-Event-ID: given more than once', {
      field: 'Last-Event-ID',
    });
  }
  if (lastEventId !== undefined && lastEventId.trim() !== '') {
    return parseWith(revisionSchema, lastEventId.trim(), 'Last-Event-ID') + 1;
  }
  if (query !== null) return parseWith(revisionSchema, query, 'fromRevision');
  return undefined;
}
