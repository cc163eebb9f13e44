import { createClient } from '../../client/client.js';
import { invalidArgument, toProximaError } from '../../core/errors.js';
import { serviceNameSchema } from '../../core/instance.js';
import { type Logger, loggerOf, writeLog } from '../../core/logger.js';
import { parseWith } from '../../core/validate.js';
import { TOPOLOGY_UNKNOWN_EVENT } from '../../topology/announce.js';
import { defineCommand } from '../command.js';
import { COMMON_FLAGS, openRegistryFlag, TOKEN_FLAGS } from '../common.js';
import { parseDurationFlag, parsePairsFlag } from '../../core/command-line/values.js';

const METHOD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `proxima call SERVICE METHOD '<json>'`: one call through the full client stack (discovery,
 * locality-aware routing, failover), for people at a terminal and for scripts. The answer goes to
 * stdout as JSON; a failed call prints `CODE: message` on stderr and exits 1.
 */
export const command = defineCommand({
  usage: "SERVICE METHOD ['<json>'] [--timeout 5s] [--meta K=V]... [--idempotent]",
  description: [
    'Calls METHOD of SERVICE with the JSON request (default {}) through discovery and locality-aware',
    'routing, as a Proxima client in this process would, and prints the answer as JSON on stdout.',
    'A failed call prints its code and message on stderr and exits 1; a bad flag or JSON exits 2.',
    'The caller locality comes from PROXIMA_REGION/ZONE (or CLIENT_REGION/ZONE).',
  ].join('\n'),
  flags: {
    timeout: { type: 'string', placeholder: 'DURATION', description: 'deadline of the call', default: '5s' },
    meta: { type: 'list', placeholder: 'KEY=VALUE', description: 'call metadata entry' },
    idempotent: {
      type: 'boolean',
      description: 'the method is safe to repeat: retry it on another instance after a failure',
    },
    ...COMMON_FLAGS,
    ...TOKEN_FLAGS,
  },
  positionals: [
    { name: 'SERVICE', description: 'service name', required: true },
    { name: 'METHOD', description: 'method name', required: true },
    { name: 'REQUEST', description: 'the request as JSON (default {})', required: false },
  ],
  async run({ flags, positionals }, context) {
    const service = parseWith(serviceNameSchema(), positionals.SERVICE, 'SERVICE');
    const method = positionals.METHOD ?? '';
    if (!METHOD_NAME.test(method)) throw invalidArgument('METHOD', `"${method}" is not a method name`);
    const request = parseRequest(positionals.REQUEST ?? '{}');
    const timeoutMs = parseDurationFlag(flags.timeout, '--timeout');
    const metadata = parsePairsFlag(flags.meta, '--meta');

    await using registry = await openRegistryFlag(flags, context);
    await using client = await createClient({
      registry,
      env: context.env,
      probe: false,
      logger: oneShotLogger(context.logger),
    });
    try {
      const answer = await client.call(service, method, request, {
        deadlineMs: timeoutMs,
        signal: context.signal,
        idempotent: flags.idempotent,
        ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
      });
      context.stdout.write(`${JSON.stringify(answer ?? null, null, 2)}\n`);
      return 0;
    } catch (thrown) {
      // Every error of the call itself (INVALID_ARGUMENT from the server included) is a failed
      // call, exit 1; only this command's own arguments are usage errors.
      const error = toProximaError(thrown);
      context.stderr.write(`${error.code}: ${error.message}\n`);
      return 1;
    }
  },
});

function parseRequest(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalidArgument(
      'REQUEST',
      `not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * One call from a terminal or a script: the caller's unknown zone only decides which instance
 * answers, so it is a debug line here, not a warning on every invocation (services and long-lived
 * clients keep the warning).
 */
function oneShotLogger(logger: Logger): Logger {
  return loggerOf((level, first, message) => {
    const topologyUnknown =
      typeof first === 'object' && (first as { event?: unknown }).event === TOPOLOGY_UNKNOWN_EVENT;
    writeLog(logger, level === 'warn' && topologyUnknown ? 'debug' : level, first, message);
  });
}
