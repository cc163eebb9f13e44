import { sleep, type Clock } from '../../core/clock.js';
import { ErrorCode, isProximaError, ProximaError, toProximaError } from '../../core/errors.js';
import type { Random } from '../../core/random.js';
import { ConnectivityReporter } from '../../registry/connectivity.js';
import type { WatchEvent, WatchOptions } from '../../registry/registry.js';
import { type BackoffOptions, reconnectBackoff } from './backoff.js';
import type { RegistryClient } from './client.js';
import { SseParser } from './sse-parser.js';
import { parseReply, watchBatchSchema } from './wire.js';

export interface WatchStreamOptions {
  readonly client: RegistryClient;
  readonly clock: Clock;
  readonly random: Random;
  readonly backoff: BackoffOptions;
  /** Silence after which a stream is presumed dead; default 3 heartbeats as the server announces. */
  readonly idleTimeoutMs?: number;
  readonly onConnectivity?: WatchOptions['onConnectivity'];
}

const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/**
 * A watch over SSE that survives the server: on a dropped, silent or refused connection it
 * reconnects with full-jitter backoff and resumes with `Last-Event-ID` (the server run's
 * incarnation and the last revision it delivered), so the consumer sees every change once — or a
 * `reset` when the server cannot replay (another run, history gone). Ends quietly on abort or client close; errors that retrying cannot fix
 * (400, 403…) are thrown.
 */
export async function* watchOverSse(
  service: string,
  fromRevision: number | undefined,
  signal: AbortSignal,
  options: WatchStreamOptions,
): AsyncGenerator<WatchEvent> {
  const path = `/v1/services/${encodeURIComponent(service)}/watch`;
  /** `INCARNATION.REVISION` of the last batch delivered (a bare revision from an older server). */
  let last: string | undefined;
  const initial = reconnectBackoff(options.random, options.backoff);
  let backoff = initial;
  const link = new ConnectivityReporter(options.onConnectivity);
  while (!signal.aborted) {
    const connection = new AbortController();
    const onAbort = (): void => connection.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (last !== undefined) headers['last-event-id'] = last;
      const query = last === undefined && fromRevision !== undefined ? `?fromRevision=${fromRevision}` : '';
      const response = await options.client.stream({
        method: 'GET',
        path: path + query,
        headers,
        signal: connection.signal,
      });
      link.established();
      const announced = Number(response.headers['x-proxima-heartbeat-ms']);
      const idleMs = options.idleTimeoutMs ?? (announced > 0 ? 3 * announced : DEFAULT_IDLE_TIMEOUT_MS);
      for await (const batch of readBatches(response.body, connection, idleMs, options.clock)) {
        backoff = initial;
        for (const event of batch.events) yield event;
        last =
          batch.incarnation === undefined ? String(batch.revision) : `${batch.incarnation}.${batch.revision}`;
      }
    } catch (error) {
      if (signal.aborted) return;
      if (isProximaError(error) && !error.retryable && error.code !== ErrorCode.CANCELLED) throw error;
      link.lost(isProximaError(error) ? error : toProximaError(error, ErrorCode.UNAVAILABLE));
    } finally {
      signal.removeEventListener('abort', onAbort);
      connection.abort();
    }
    try {
      backoff = backoff.next();
      await sleep(options.clock, backoff.delayMs, signal);
    } catch {
      return;
    }
  }
}

interface Batch {
  readonly revision: number;
  readonly incarnation?: string | undefined;
  readonly events: readonly WatchEvent[];
}

/** Reads SSE messages off a body, aborting `connection` when nothing arrives for `idleMs`. */
async function* readBatches(
  body: AsyncIterable<Buffer>,
  connection: AbortController,
  idleMs: number,
  clock: Clock,
): AsyncGenerator<Batch> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const idle = (): ReturnType<Clock['setTimeout']> => {
    const handle = clock.setTimeout(
      () => connection.abort(new ProximaError(ErrorCode.UNAVAILABLE, `watch stream silent for ${idleMs} ms`)),
      idleMs,
    );
    handle.unref?.();
    return handle;
  };
  let timer = idle();
  try {
    for await (const chunk of body) {
      clock.clearTimeout(timer);
      timer = idle();
      for (const message of parser.push(decoder.decode(chunk, { stream: true }))) {
        if (message.event !== 'reset' && message.event !== 'change') continue;
        yield parseBatch(message.data);
      }
    }
  } finally {
    clock.clearTimeout(timer);
  }
}

function parseBatch(data: string): Batch {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new ProximaError(ErrorCode.PROTOCOL_ERROR, `malformed watch message: ${data.slice(0, 200)}`, {
      retryable: true,
    });
  }
  return parseReply(watchBatchSchema(), json, 'watch');
}
