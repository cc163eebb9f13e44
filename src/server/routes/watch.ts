import { ErrorCode } from '../../core/errors.js';
import { parseWith } from '../../core/validate.js';
import { HttpError } from '../http-io.js';
import type { Route } from '../router.js';
import { eventIdSchema, revisionSchema, serviceParamSchema } from '../schemas.js';
import { SseStream } from '../sse.js';
import type { ApiDeps } from './api-deps.js';

/**
 * `GET /v1/services/:service/watch`: the changes of a service as Server-Sent Events.
 *
 * Each message carries one revision: `event: reset` (the full set) or `event: change` (its
 * upserts/deletes), `id:` `INCARNATION.N` (this server run's random id, then the revision),
 * `data:` `{"revision":N,"incarnation":"…","events":[WatchEvent…]}`. A client resumes with
 * `Last-Event-ID: INCARNATION.N` (or a bare `N`; from N + 1) or `?fromRevision=N` (from N). A resume
 * the server cannot serve exactly — another incarnation (a restarted server), a revision older than
 * its history or newer than its head — or none starts with a `reset`.
 */
export function watchRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/services/:service/watch',
      handler: async ({ req, res, params, query }) => {
        const service = parseWith(serviceParamSchema(), params.service, 'service');
        deps.gate.admit(req, { access: 'read', service });
        const resume = resumePoint(req.headers['last-event-id'], query.get('fromRevision'));
        const incarnation = deps.state.incarnation;

        const stop = new AbortController();
        const signal = AbortSignal.any([stop.signal, deps.closing]);
        const stream = new SseStream(res, deps.clock, deps.heartbeatMs);
        res.on('close', () => stop.abort());
        stream.open(`watching ${service}`);
        try {
          for await (const events of deps.state.watch(service, resume.revision, signal, resume.incarnation)) {
            const revision = events[0]?.revision ?? 0;
            const type = events[0]?.type === 'reset' ? 'reset' : 'change';
            stream.send(type, `${incarnation}.${revision}`, { revision, incarnation, events });
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

interface ResumePoint {
  readonly revision: number | undefined;
  readonly incarnation: string | undefined;
}

function resumePoint(lastEventId: string | string[] | undefined, query: string | null): ResumePoint {
  if (Array.isArray(lastEventId)) {
    throw new HttpError(400, ErrorCode.INVALID_ARGUMENT, 'Last-Event-ID: given more than once', {
      field: 'Last-Event-ID',
    });
  }
  if (lastEventId !== undefined && lastEventId.trim() !== '') {
    const { incarnation, revision } = parseWith(eventIdSchema(), lastEventId.trim(), 'Last-Event-ID');
    return { revision: revision + 1, incarnation };
  }
  if (query !== null)
    return { revision: parseWith(revisionSchema(), query, 'fromRevision'), incarnation: undefined };
  return { revision: undefined, incarnation: undefined };
}
