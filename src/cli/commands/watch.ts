import { formatLocality } from '../../core/locality.js';
import { serviceNameSchema } from '../../core/instance.js';
import { parseWith } from '../../core/validate.js';
import { createDiscoverer, type SnapshotUpdate } from '../../discovery/index.js';
import { defineCommand } from '../command.js';
import { COMMON_FLAGS, openRegistryFlag } from '../common.js';
import { aborted } from '../shutdown.js';

/**
 * `proxima watch SERVICE [--json]`: follows a service through the same discoverer a calling process
 * uses, so it shows what callers see — including a stale registry connection and instances held by
 * self-preservation — and survives registry restarts on its own.
 */
export const command = defineCommand({
  usage: 'SERVICE [--json]',
  description: [
    'Prints every change of SERVICE until SIGINT/SIGTERM: first a reset with the current instances,',
    'then upserts (new instance, status/weight/metadata change) and deletes. It also reports when the',
    'registry becomes unreachable (stale), reachable again (fresh), and instances kept by',
    'self-preservation that expired. With --json, one JSON object per line: {type, service, revision, …}.',
  ].join('\n'),
  flags: {
    json: { type: 'boolean', description: 'one JSON object per line' },
    ...COMMON_FLAGS,
  },
  positionals: [{ name: 'SERVICE', description: 'the service to watch', required: true }],
  async run({ flags, positionals }, context) {
    const service = parseWith(serviceNameSchema, positionals.SERVICE, 'SERVICE');
    await using registry = await openRegistryFlag(flags.registry, context);
    await using discoverer = createDiscoverer({ registry, logger: context.logger });
    using subscription = discoverer.subscribe(service);
    const render = flags.json ? jsonLine : textLine;
    using _ = subscription.updated((update) => context.stdout.write(`${render(update)}\n`));
    await aborted(context.signal);
    return 0;
  },
});

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
