import { serviceNameSchema } from '../../core/instance.js';
import { parseWith } from '../../core/validate.js';
import { createDiscoverer } from '../../discovery/index.js';
import { defineCommand } from '../command.js';
import { COMMON_FLAGS, openRegistryFlag, TOKEN_FLAGS } from '../common.js';
import { aborted } from '../../core/signals.js';
import { jsonLine, textLine } from '../watch-lines.js';

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
    ...TOKEN_FLAGS,
  },
  positionals: [{ name: 'SERVICE', description: 'the service to watch', required: true }],
  async run({ flags, positionals }, context) {
    const service = parseWith(serviceNameSchema(), positionals.SERVICE, 'SERVICE');
    await using registry = await openRegistryFlag(flags, context);
    await using discoverer = createDiscoverer({ registry, logger: context.logger });
    using subscription = discoverer.subscribe(service);
    const render = flags.json ? jsonLine : textLine;
    using _ = subscription.updated((update) => context.stdout.write(`${render(update)}\n`));
    await aborted(context.signal);
    return 0;
  },
});
