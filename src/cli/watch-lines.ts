import { formatLocality } from '../core/locality.js';
import type { SnapshotUpdate } from '../discovery/index.js';

/** How `proxima watch` prints one discoverer update: a JSON line for scripts, a text line for people. */

/** The JSON line of one update: the watch event as the registry sent it, or the discoverer's own news. */
export function jsonLine({ snapshot, cause }: SnapshotUpdate): string {
  const base = { service: snapshot.service, revision: snapshot.revision };
  switch (cause.type) {
    case 'watch': {
      const unconfirmed = [...snapshot.unconfirmed];
      return JSON.stringify(
        cause.event.type === 'reset' && unconfirmed.length > 0
          ? { ...cause.event, unconfirmed }
          : cause.event,
      );
    }
    case 'stale':
      return JSON.stringify({ type: 'stale', ...base, error: cause.error.toJSON() });
    case 'fresh':
      return JSON.stringify({ type: 'fresh', ...base });
    case 'expired':
      return JSON.stringify({ type: 'expired', ...base, ids: cause.ids });
    case 'failed':
      return JSON.stringify({ type: 'failed', ...base, id: cause.id });
  }
}

/** One line for people: time, what happened, and the instance(s) concerned. */
export function textLine({ snapshot, cause }: SnapshotUpdate): string {
  const time = new Date().toISOString().slice(11, 23);
  const head = `${time}  ${snapshot.service}  rev ${snapshot.revision}`;
  if (cause.type !== 'watch') {
    const detail =
      cause.type === 'stale'
        ? `registry unreachable (${cause.error.message}); serving the last snapshot`
        : cause.type === 'fresh'
          ? 'registry reachable again'
          : cause.type === 'expired'
            ? `unconfirmed instances expired: ${cause.ids.join(', ')}`
            : `unconfirmed instance failed: ${cause.id}`;
    return `${head}  ${cause.type}  ${detail}`;
  }
  const event = cause.event;
  switch (event.type) {
    case 'reset': {
      const held = snapshot.unconfirmed.size > 0 ? `, ${snapshot.unconfirmed.size} unconfirmed kept` : '';
      const list = event.instances.map(
        (i) => `${i.id}@${i.address} ${formatLocality(i.locality)} ${i.status}`,
      );
      return `${head}  reset  ${event.instances.length} instance(s)${held}${list.length ? `: ${list.join('; ')}` : ''}`;
    }
    case 'upsert': {
      const i = event.instance;
      return `${head}  upsert  ${i.id}  ${i.address}  ${formatLocality(i.locality)}  ${i.status}  weight ${i.weight}`;
    }
    case 'delete':
      return `${head}  delete  ${event.id}`;
  }
}
