import { castGrpcErrorMessage, type IEvent, type IWatchResponse } from 'etcd3';
import { sleep } from '../../core/clock.js';
import { ErrorCode, type ProximaError } from '../../core/errors.js';
import { ConnectivityReporter } from '../../registry/connectivity.js';
import { parseRevision, parseServiceName } from '../../registry/inputs.js';
import type { ServiceListing, WatchEvent, WatchOptions } from '../../registry/registry.js';
import { type Backoff, fullJitterBackoff } from '../../resilience/backoff.js';
import type { EtcdConnection } from './connection.js';
import { toEtcdError } from './errors.js';
import { decodeInstance, type KeyLayout, prefixRange } from './keys.js';
import type { BadKeys } from './malformed.js';
import { watchStream } from './watch-stream.js';

const RECONNECT_INITIAL_MS = 50;
const RECONNECT_MAX_MS = 2_000;

/** What a service watch needs from the registry. */
export interface WatchDeps {
  readonly connection: EtcdConnection;
  readonly keys: KeyLayout;
  /** Reports values that are not instances (each such put is a delete of its key). */
  readonly badKeys: BadKeys;
  list(service: string, signal: AbortSignal): Promise<ServiceListing>;
}

/**
 * The changes of one service as an async iterable (the `Registry.watch` contract on etcd).
 *
 * - It keeps `next`, the first revision not yet delivered, and (re)opens a prefix watch at it after
 *   any failure, so nothing is lost or delivered twice across reconnects, member deaths and
 *   partitions.
 * - `next` moves only past a whole watch response, and etcd puts all events of one revision in
 *   one response (fragmenting is not requested), so a revision is never delivered in halves.
 * - When etcd has compacted `next` away it re-lists and emits `reset`, then watches from the
 *   listing's revision + 1.
 * - It ends when `options.signal` aborts, the consumer stops, or the registry closes; it throws only
 *   errors that retrying cannot fix (invalid input, permission denied).
 */
export async function* watchService(
  deps: WatchDeps,
  service: string,
  options: WatchOptions = {},
): AsyncGenerator<WatchEvent> {
  const name = parseServiceName(service);
  const from = options.fromRevision === undefined ? undefined : parseRevision(options.fromRevision);
  const { connection, keys } = deps;
  const signal =
    options.signal === undefined ? connection.closed : AbortSignal.any([options.signal, connection.closed]);
  const { clock, random } = connection.options;
  const initialBackoff = fullJitterBackoff({
    initialMs: RECONNECT_INITIAL_MS,
    maxMs: RECONNECT_MAX_MS,
    random,
  });
  let backoff: Backoff = initialBackoff;
  const range = prefixRange(keys.servicePrefix(name));

  const reset = async (): Promise<WatchEvent & { type: 'reset' }> => {
    const listing = await deps.list(name, signal);
    return { type: 'reset', service: name, revision: listing.revision, instances: listing.instances };
  };

  // etcd reads start_revision 0 as "from now"; the contract means "everything it still has".
  let next = Math.max(from ?? 1, 1);
  let needReset = from === undefined;
  const link = new ConnectivityReporter(options.onConnectivity);
  // etcd checks the auth token only when a watch is created, so after a reconnect an idle client's
  // token may have expired. A unary call renews it (the etcd3 client re-authenticates on "invalid
  // auth token"); the first refusal after a healthy stream is retried once after one.
  let renewToken = false;
  let renewedSinceHealthy = false;
  while (!signal.aborted) {
    try {
      if (renewToken) {
        renewToken = false;
        await deps.list(name, signal);
      }
      if (needReset) {
        const event = await reset();
        next = event.revision + 1;
        needReset = false;
        yield event;
        continue;
      }
      for await (const response of watchStream(connection, { ...range, start_revision: next }, signal)) {
        link.established();
        // A stream that answers beyond its creation is healthy again (a flapping one keeps backing off).
        if (!response.created) {
          backoff = initialBackoff;
          renewedSinceHealthy = false;
        }
        if (response.canceled) {
          if (Number(response.compact_revision) > 0) {
            needReset = true;
            break;
          }
          throw castGrpcErrorMessage(response.cancel_reason || 'etcd cancelled the watch, no reason given');
        }
        if (response.created || response.events.length === 0) continue;
        yield* toEvents(keys, deps.badKeys, name, response);
        next = lastRevision(response) + 1;
      }
    } catch (thrown) {
      if (signal.aborted) return;
      const error = toEtcdError(thrown, `etcd watch of ${name}`);
      if (error.code === ErrorCode.COMPACTED) {
        needReset = true;
        continue;
      }
      if (isAuthRefusal(error) && !renewedSinceHealthy) {
        renewedSinceHealthy = true;
        renewToken = true;
        continue;
      }
      if (error.code !== ErrorCode.UNAVAILABLE) throw error;
      link.lost(error);
      backoff = backoff.next();
      await sleep(clock, backoff.delayMs, signal).catch(() => undefined);
    }
  }
}

function isAuthRefusal(error: ProximaError): boolean {
  return error.code === ErrorCode.UNAUTHENTICATED || error.code === ErrorCode.PERMISSION_DENIED;
}

function* toEvents(
  keys: KeyLayout,
  badKeys: BadKeys,
  service: string,
  response: IWatchResponse,
): Generator<WatchEvent> {
  for (const event of response.events) {
    const converted = toEvent(keys, badKeys, service, event);
    if (converted !== undefined) yield converted;
  }
}

/**
 * One etcd event as a watch event. A put whose value is not an instance is a delete of that key:
 * a reader that re-lists sees no instance there, so a running watcher must not keep the old one.
 */
function toEvent(keys: KeyLayout, badKeys: BadKeys, service: string, event: IEvent): WatchEvent | undefined {
  const parsed = keys.parse(event.kv.key);
  if (parsed === undefined || parsed.service !== service) return undefined;
  const revision = Number(event.kv.mod_revision);
  if (event.type === 'Delete') {
    badKeys.clear(event.kv.key);
    return { type: 'delete', service, revision, id: parsed.id };
  }
  const instance = decodeInstance(event.kv.value, parsed);
  if (instance === undefined) {
    badKeys.note(event.kv.key, 'treated a value that is not an instance as deleted');
    return { type: 'delete', service, revision, id: parsed.id };
  }
  badKeys.clear(event.kv.key);
  return { type: 'upsert', service, revision, instance };
}

function lastRevision(response: IWatchResponse): number {
  let max = 0;
  for (const event of response.events) max = Math.max(max, Number(event.kv.mod_revision));
  return max;
}
