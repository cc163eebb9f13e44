import { Registry } from 'prom-client';
import { parseDuration } from '../../core/duration.js';
import { collectProcessMetrics } from '../../observability/metrics/process-metrics.js';
import { registrarMetrics } from '../../observability/metrics/registrar-metrics.js';
import { topologyMetrics } from '../../observability/metrics/topology-metrics.js';
import { serveMetrics } from '../../observability/metrics/serve.js';
import { type Instance, protocolSchema } from '../../core/instance.js';
import { parseWith } from '../../core/validate.js';
import { formatLocality } from '../../core/locality.js';
import { DEFAULT_TTL_MS } from '../../registry/registry.js';
import { type RegistrarInstanceInput, startRegistrar } from '../../registrar/index.js';
import { formatRefusal } from '../../registrar/explain.js';
import { defineCommand } from '../command.js';
import { asFlagError, COMMON_FLAGS, openRegistryFlag, TOKEN_FLAGS } from '../common.js';
import { aborted } from '../../core/signals.js';
import { parseDurationFlag, parseIntFlag, parsePairsFlag } from '../../core/command-line/values.js';

/** Which flag a registrar option came from, to name the flag in validation errors. */
const FIELD_TO_FLAG: Readonly<Record<string, string>> = {
  'options.instance.service': '--service',
  'options.instance.address': '--address',
  'options.instance.id': '--id',
  'options.instance.protocol': '--protocol',
  'options.instance.weight': '--weight',
  'options.instance.metadata': '--meta',
  'options.instance.locality.region': '--region',
  'options.instance.locality.zone': '--zone',
  'options.instance.locality.subzone': '--subzone',
  'options.ttlMs': '--ttl',
  'options.check': '--check',
  'options.check.target': '--check',
  'options.check.intervalMs': '--check-interval',
  'options.check.timeoutMs': '--check-timeout',
};

/**
 * `proxima register`: the registrar as a process, to keep a non-Node program (or a test fixture)
 * registered. It stays registered until SIGINT/SIGTERM, then drains (DRAINING, then deregister)
 * and exits 0.
 */
export const command = defineCommand({
  usage:
    '--service NAME --address HOST:PORT [--region R] [--zone Z] [--ttl 10s] [--meta K=V]... [--check URL|tcp]',
  description: [
    'Registers one instance and keeps its lease alive (a keep-alive every TTL/3), registering it again',
    'whenever the lease is lost (a partition longer than the TTL, a registry that restarted empty).',
    'On SIGINT/SIGTERM it marks the instance DRAINING, waits --drain-delay, deregisters and exits 0.',
    'Locality flags left out come from PROXIMA_REGION/ZONE/SUBZONE (or SERVICE_REGION/ZONE/SUBZONE), then',
    'from the topology sources PROXIMA_TOPOLOGY_SOURCES enables (Kubernetes, AWS, GCP, Azure: docs/topology.md);',
    'an unknown zone is logged as a warning naming what each source answered.',
    'With --check, the service is checked every --check-interval: 3 misses in a row mark it DOWN (listed,',
    'not routed), 2 passes mark it UP again ("health failing|passing: SERVICE/ID DOWN|UP" on stdout).',
    'Prints "registered SERVICE/ID …" on stdout each time it is (re-)registered.',
    'When the registry refuses the instance (409: another identity holds the id; 403: the token may not',
    'write the service; 401), prints "refused SERVICE/ID: STATUS CODE since …: REASON → WHAT TO DO" on',
    'stderr; a refused first registration exits 1, a later refusal is retried (and printed once per run).',
  ].join('\n'),
  flags: {
    service: { type: 'string', placeholder: 'NAME', description: 'service name', required: true },
    address: {
      type: 'string',
      placeholder: 'HOST:PORT',
      description: 'where callers reach it',
      required: true,
    },
    id: {
      type: 'string',
      placeholder: 'ID',
      description: 'instance id, unique in the service (default: the address)',
    },
    protocol: {
      type: 'string',
      placeholder: 'PROTO',
      description: 'proxima, grpc, http or tcp (default proxima)',
    },
    region: {
      type: 'string',
      placeholder: 'REGION',
      description: 'region (default $PROXIMA_REGION / $SERVICE_REGION)',
    },
    zone: {
      type: 'string',
      placeholder: 'ZONE',
      description: 'zone (default $PROXIMA_ZONE / $SERVICE_ZONE)',
    },
    subzone: {
      type: 'string',
      placeholder: 'SUBZONE',
      description: 'subzone (default $PROXIMA_SUBZONE / $SERVICE_SUBZONE)',
    },
    ttl: {
      type: 'string',
      placeholder: 'DURATION',
      description: 'lease TTL',
      default: `${DEFAULT_TTL_MS / 1000}s`,
    },
    weight: { type: 'string', placeholder: 'N', description: 'weight 0-10000 (default 100)' },
    meta: { type: 'list', placeholder: 'KEY=VALUE', description: 'metadata entry' },
    'metrics-port': {
      type: 'string',
      placeholder: 'PORT',
      description: 'serve the registrar and process metrics on GET /metrics at this port',
    },
    'metrics-host': {
      type: 'string',
      placeholder: 'HOST',
      description: 'interface of the metrics endpoint (default 127.0.0.1)',
    },
    'drain-delay': {
      type: 'string',
      placeholder: 'DURATION',
      description:
        'time between DRAINING and deregistering on shutdown (the whole shutdown must end within 30 s of the signal)',
      default: '0s',
    },
    check: {
      type: 'string',
      placeholder: 'URL|tcp',
      description: 'health check: http(s)://… (2xx passes), tcp (connect to --address) or tcp://HOST:PORT',
    },
    'check-interval': {
      type: 'string',
      placeholder: 'DURATION',
      description: 'time between health checks',
      default: '5s',
    },
    'check-timeout': {
      type: 'string',
      placeholder: 'DURATION',
      description: 'a health check slower than this is a miss',
      default: '1s',
    },
    ...COMMON_FLAGS,
    ...TOKEN_FLAGS,
  },
  positionals: [],
  async run({ flags }, context) {
    const ttlMs = parseDurationFlag(flags.ttl, '--ttl');
    const drainDelayMs = parseDuration(flags['drain-delay'], '--drain-delay');
    // Checked before anything starts: a bad flag must not leave a registrar running.
    const metricsPort =
      flags['metrics-port'] === undefined
        ? undefined
        : parseIntFlag(flags['metrics-port'], '--metrics-port', 0, 65_535);
    const check =
      flags.check === undefined
        ? undefined
        : {
            target: flags.check,
            intervalMs: Math.round(parseDurationFlag(flags['check-interval'], '--check-interval')),
            timeoutMs: Math.round(parseDurationFlag(flags['check-timeout'], '--check-timeout')),
          };
    const instance: RegistrarInstanceInput = {
      service: flags.service,
      address: flags.address,
      metadata: parsePairsFlag(flags.meta, '--meta'),
      locality: {
        ...(flags.region === undefined ? {} : { region: flags.region }),
        ...(flags.zone === undefined ? {} : { zone: flags.zone }),
        ...(flags.subzone === undefined ? {} : { subzone: flags.subzone }),
      },
      ...(flags.id === undefined ? {} : { id: flags.id }),
      ...(flags.weight === undefined ? {} : { weight: parseIntFlag(flags.weight, '--weight', 0, 10_000) }),
      ...(flags.protocol === undefined
        ? {}
        : { protocol: parseWith(protocolSchema(), flags.protocol, '--protocol') }),
    };

    const { stdout, logger, env } = context;
    // Bound before the registrar starts: a port in use fails the command before anything runs.
    await using metrics = await metricsEndpoint(metricsPort, flags['metrics-host'], stdout);
    await using registry = await openRegistryFlag(flags, context);
    const registrar = await startRegistrar({
      registry,
      instance,
      ttlMs,
      drainDelayMs,
      logger,
      env: { ...env }, // a plain copy: process.env itself is an exotic object
      awaitRegistration: false,
      ...(check === undefined ? {} : { check }),
    }).catch((error: unknown) => {
      throw asFlagError(error, FIELD_TO_FLAG);
    });
    const announce =
      (what: string) =>
      ({
        instances,
        leaseId,
      }: {
        readonly instances: readonly Instance[];
        readonly leaseId: string;
      }): void => {
        for (const i of instances) {
          stdout.write(
            `${what} ${i.service}/${i.id} at ${i.address} (${formatLocality(i.locality)}) lease ${leaseId}\n`,
          );
        }
      };
    using _registered = registrar.onRegistered(announce('registered'));
    using _reregistered = registrar.onReregistered(announce('re-registered'));
    using _metrics = metrics === undefined ? undefined : registrarMetrics(metrics.registry, registrar);
    if (metrics !== undefined) topologyMetrics(metrics.registry, 'service', registrar.topology.locality);
    using _health = registrar.onHealthChanged(({ health, reason }) => {
      for (const i of registrar.instances) {
        stdout.write(
          `health ${health}: ${i.service}/${i.id} ${health === 'failing' ? 'DOWN' : 'UP'}${reason === undefined ? '' : ` (${reason})`}\n`,
        );
      }
    });

    // Refusals print the explain() line people act on; a refused first registration ends the command.
    let gaveUp: () => void = () => undefined;
    const refusedAtStart = new Promise<'refused'>((resolve) => {
      gaveUp = () => resolve('refused');
    });
    // Each run of refusals (instance + since) printed once; only current runs are remembered.
    let printed = new Set<string>();
    const report = (): void => {
      const current = new Set<string>();
      for (const r of registrar.explain().refused) {
        const run = `${r.instance} ${r.since}`;
        current.add(run);
        if (!printed.has(run)) context.stderr.write(`${formatRefusal(r)}\n`);
      }
      printed = current;
      if (registrar.state === 'closed') gaveUp();
    };
    using _refusals = registrar.onError(report);
    report(); // in case it already gave up
    if ((await Promise.race([aborted(context.signal), refusedAtStart])) === 'refused') return 1;
    logger.info({ instances: registrar.instances.length }, 'shutting down: draining');
    await registrar.drain();
    for (const i of registrar.instances) stdout.write(`deregistered ${i.service}/${i.id}\n`);
    return 0;
  },
});

/**
 * `--metrics-port`: the process' metrics (the registrar's join once it runs) on their own
 * endpoint until the command ends; undefined without the flag.
 */
async function metricsEndpoint(
  port: number | undefined,
  host: string | undefined,
  stdout: { write(text: string): unknown },
): Promise<(AsyncDisposable & { readonly registry: Registry }) | undefined> {
  if (port === undefined) return undefined;
  const registry = new Registry();
  collectProcessMetrics(registry);
  const endpoint = await serveMetrics(registry, { port, ...(host === undefined ? {} : { host }) });
  stdout.write(`metrics on http://${endpoint.address.host}:${endpoint.address.port}/metrics\n`);
  return { registry, [Symbol.asyncDispose]: () => endpoint.close() };
}
