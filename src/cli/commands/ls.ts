import { serviceNameSchema } from '../../core/instance.js';
import { parseWith } from '../../core/validate.js';
import type { ServiceListing } from '../../registry/registry.js';
import { defineCommand } from '../command.js';
import { COMMON_FLAGS, openRegistryFlag, TOKEN_FLAGS } from '../common.js';
import { INSTANCE_COLUMNS, instanceRow, renderTable } from '../format.js';

/**
 * `proxima ls [SERVICE] [--json]`: one read of the registry. The table is for people; `--json`
 * prints `{ "services": [{ service, revision, instances }] }` for scripts.
 */
export const command = defineCommand({
  usage: '[SERVICE] [--json]',
  description: [
    'Lists the instances of SERVICE (or of every service) with their address, locality, weight and',
    'status (UP, DRAINING, DOWN). With --json, prints {"services":[{service,revision,instances}]}.',
  ].join('\n'),
  flags: {
    json: { type: 'boolean', description: 'print JSON instead of a table' },
    ...COMMON_FLAGS,
    ...TOKEN_FLAGS,
  },
  positionals: [{ name: 'SERVICE', description: 'only this service', required: false }],
  async run({ flags, positionals }, context) {
    const only =
      positionals.SERVICE === undefined
        ? undefined
        : parseWith(serviceNameSchema(), positionals.SERVICE, 'SERVICE');
    await using registry = await openRegistryFlag(flags, context);
    const { signal } = context;
    const names = only === undefined ? (await registry.services({ signal })).sort() : [only];
    const listings: ServiceListing[] = await Promise.all(
      names.map((name) => registry.list(name, { signal })),
    );
    if (flags.json) {
      context.stdout.write(`${JSON.stringify({ services: listings }, null, 2)}\n`);
      return 0;
    }
    const rows = listings.flatMap((listing) => listing.instances.map(instanceRow));
    if (rows.length === 0) {
      context.stderr.write(only === undefined ? 'no services registered\n' : `no instances of ${only}\n`);
      return 0;
    }
    context.stdout.write(renderTable(INSTANCE_COLUMNS, rows));
    return 0;
  },
});
