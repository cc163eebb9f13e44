import { networkInterfaces as osNetworkInterfaces } from 'node:os';
import { lazySchema } from '../core/zod.js';
import { type Clock, systemClock } from '../core/clock.js';
import { invalidArgument } from '../core/errors.js';
import { type Instance, type InstanceInput, joinAddress, parseInstance } from '../core/instance.js';
import type { LocalityInput } from '../core/locality.js';
import { isLogger, type Logger, silentLogger } from '../core/logger.js';
import { type Random, systemRandom } from '../core/random.js';
import { parseWith } from '../core/validate.js';
import { ttlMsSchema } from '../registry/inputs.js';
import { DEFAULT_TTL_MS, type Registry } from '../registry/registry.js';
import { detectHost, type NetworkInterfaces } from './address.js';
import type { Locality } from '../core/locality.js';
import { type Env, localityFromEnv, resolveLocality } from '../topology/env.js';
import type { TopologyOptions } from '../topology/options.js';
import {
  type HealthCheckOptions,
  resolveHealthCheck,
  type ResolvedHealthCheck,
} from './checks/health-check.js';

/**
 * One instance as the registrar takes it: like {@link InstanceInput}, but the address may be left
 * to the registrar (`port` alone, or `host` + `port`), the id defaults to the address, and the
 * locality fields left out come from the environment.
 */
export interface RegistrarInstanceInput extends Omit<InstanceInput, 'address' | 'id' | 'locality'> {
  /** `host:port`. Without it: `host` (default: the first non-internal IPv4, else 127.0.0.1) + `port`. */
  readonly address?: string;
  readonly host?: string;
  readonly port?: number;
  /** Unique within the service. Default: the address (`10.0.0.5:8080`). */
  readonly id?: string;
  /** Fields given here win over `PROXIMA_*` / `SERVICE_*` environment variables. */
  readonly locality?: LocalityInput;
}

export interface RegistrarOptions {
  readonly registry: Registry;
  /** The instance to keep registered (or use `instances`). */
  readonly instance?: RegistrarInstanceInput;
  /** Several instances under the registrar's one lease (one keep-alive for all). */
  readonly instances?: readonly RegistrarInstanceInput[];
  /** Lease TTL; keep-alives go every TTL/3. Default 10 s. */
  readonly ttlMs?: number;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
  /** Aborting it drains the registrar (or cancels a start still waiting for the registry). */
  readonly signal?: AbortSignal;
  /** Where locality variables are read. Default `process.env`. */
  readonly env?: Env;
  /**
   * Where region and zone come from when neither the instance nor `PROXIMA_*` variables name them:
   * Kubernetes labels, AWS / GCP / Azure metadata (docs/topology.md). Default: the sources the
   * environment enables (`PROXIMA_TOPOLOGY_SOURCES`, `PROXIMA_NODE_NAME`, …).
   */
  readonly topology?: TopologyOptions;
  /** Where the host address is detected. Default `os.networkInterfaces`. */
  readonly networkInterfaces?: NetworkInterfaces;
  /** Registration retries: full-jitter exponential backoff, delays in [0, min(initial·2^(n-1), max)). */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  /** After `failures` registration failures in a row the breaker opens for `openMs` (doubling per failed probe up to `maxOpenMs`). */
  readonly breaker?: { readonly failures?: number; readonly openMs?: number; readonly maxOpenMs?: number };
  /** How long `drain()` waits between marking DRAINING and deregistering. Default 0. */
  readonly drainDelayMs?: number;
  /** Bound on the registry calls of `drain()`. Default 5 s. */
  readonly drainTimeoutMs?: number;
  /** Whether `startRegistrar` resolves only once registered (default) or at once. */
  readonly awaitRegistration?: boolean;
  /**
   * Agent-side health check of the service: 3 misses in a row → its instances are DOWN in the
   * registry (listed, not routed); 2 passes → UP. Default: none.
   */
  readonly check?: HealthCheckOptions;
}

/** The options with every default filled and every instance resolved and validated. */
export interface RegistrarConfig {
  readonly registry: Registry;
  readonly instances: readonly Instance[];
  readonly ttlMs: number;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly signal: AbortSignal | undefined;
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
  readonly breaker: { readonly failures: number; readonly openMs: number; readonly maxOpenMs: number };
  readonly drainDelayMs: number;
  readonly drainTimeoutMs: number;
  readonly awaitRegistration: boolean;
  readonly check: ResolvedHealthCheck | undefined;
}

const ms = lazySchema((z) =>
  z.number().refine((n) => Number.isFinite(n) && n >= 0, 'must be a non-negative number of ms()'),
);
const positiveMs = lazySchema(() => ms().refine((n) => n > 0, 'must be positive'));
const isFunction = (v: unknown): boolean => typeof v === 'function';
const hasMethods =
  (...names: string[]) =>
  (v: unknown): boolean =>
    typeof v === 'object' &&
    v !== null &&
    names.every((n) => typeof (v as Record<string, unknown>)[n] === 'function');

const optionsSchema = lazySchema((z) =>
  z
    .object({
      registry: z.custom<Registry>(hasMethods('grant', 'register', 'watch'), 'expected a Registry'),
      instance: z.record(z.string(), z.unknown()).optional(),
      instances: z.array(z.record(z.string(), z.unknown())).min(1, 'at least one instance').optional(),
      ttlMs: ttlMsSchema().optional(),
      clock: z.custom<Clock>(hasMethods('now', 'setTimeout', 'clearTimeout'), 'expected a Clock').optional(),
      random: z.custom<Random>(isFunction, 'expected a function returning [0, 1)').optional(),
      logger: z.custom<Logger>(isLogger, 'expected a logger with error/warn/info/debug').optional(),
      signal: z.instanceof(AbortSignal, { message: 'expected an AbortSignal' }).optional(),
      // Not z.record: zod 4 rejects `process.env` (not a plain object). The variables Proxima reads are
      // validated one by one where they are read (localityFromEnv names the variable).
      env: z
        .custom<Env>((v) => typeof v === 'object' && v !== null, 'expected an object of strings')
        .optional(),
      networkInterfaces: z.custom<NetworkInterfaces>(isFunction, 'expected a function').optional(),
      // Validated by the topology lookup, which names `topology.…` fields.
      topology: z.record(z.string(), z.unknown()).optional(),
      retry: z
        .object({ initialMs: positiveMs().optional(), maxMs: positiveMs().optional() })
        .strict()
        .optional(),
      breaker: z
        .object({
          failures: z.number().int('must be an integer').min(1).optional(),
          openMs: positiveMs().optional(),
          maxOpenMs: positiveMs().optional(),
        })
        .strict()
        .optional(),
      drainDelayMs: ms().optional(),
      drainTimeoutMs: positiveMs().optional(),
      awaitRegistration: z.boolean().optional(),
      // Validated by resolveHealthCheck, which names `options.check.…` fields.
      check: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
);

const extrasSchema = lazySchema((z) =>
  z.object({
    address: z.string().optional(),
    host: z.string().min(1, 'must not be empty').optional(),
    port: z.number().int('must be an integer').min(1).max(65_535).optional(),
    id: z.string().optional(),
    locality: z
      .object({ region: z.string().optional(), zone: z.string().optional(), subzone: z.string().optional() })
      .strict()
      .optional(),
  }),
);

/**
 * Validates the options (INVALID_ARGUMENT naming the field) and fills every default. Locality
 * fields an instance leaves out come from `found` (a topology lookup's answer) when given, else
 * from the environment's variables.
 */
export function resolveRegistrarOptions(options: RegistrarOptions, found?: Locality): RegistrarConfig {
  const o = parseWith(optionsSchema(), options, 'options');
  if ((o.instance === undefined) === (o.instances === undefined)) {
    throw invalidArgument('options.instances', 'give exactly one of `instance` or `instances`');
  }
  const env = o.env ?? process.env;
  const interfaces = o.networkInterfaces ?? osNetworkInterfaces;
  const inputs = o.instances ?? [o.instance];
  const roots =
    o.instances === undefined ? ['options.instance'] : inputs.map((_, i) => `options.instances.${i}`);
  const envLocality = found ?? localityFromEnv(env, 'service');
  const instances = inputs.map((input, i) =>
    resolveInstance(input, roots[i] as string, () => detectHost(interfaces), envLocality),
  );
  const seen = new Set<string>();
  instances.forEach((instance, i) => {
    const key = `${instance.service}/${instance.id}`;
    if (seen.has(key)) throw invalidArgument(`${roots[i]}.id`, `duplicate instance ${key}`);
    seen.add(key);
  });
  const retry = { initialMs: o.retry?.initialMs ?? 500, maxMs: o.retry?.maxMs ?? 30_000 };
  const openMs = o.breaker?.openMs ?? 10_000;
  return {
    registry: o.registry,
    instances,
    ttlMs: o.ttlMs ?? DEFAULT_TTL_MS,
    clock: o.clock ?? systemClock,
    random: o.random ?? systemRandom,
    logger: o.logger ?? silentLogger,
    signal: o.signal,
    retry: { initialMs: retry.initialMs, maxMs: Math.max(retry.maxMs, retry.initialMs) },
    breaker: {
      failures: o.breaker?.failures ?? 5,
      openMs,
      maxOpenMs: Math.max(o.breaker?.maxOpenMs ?? 60_000, openMs),
    },
    drainDelayMs: o.drainDelayMs ?? 0,
    drainTimeoutMs: o.drainTimeoutMs ?? 5_000,
    awaitRegistration: o.awaitRegistration ?? true,
    check:
      options.check === undefined
        ? undefined
        : resolveHealthCheck(options.check, 'options.check', (instances[0] as Instance).address),
  };
}

function resolveInstance(
  input: Record<string, unknown> | undefined,
  root: string,
  detect: () => string | undefined,
  envLocality: ReturnType<typeof localityFromEnv>,
): Instance {
  const extras = parseWith(extrasSchema(), input ?? {}, root);
  const { host, port, ...rest } = input ?? {};
  let address = extras.address;
  if (address === undefined) {
    if (extras.port === undefined) throw invalidArgument(`${root}.port`, 'required when no address is given');
    address = joinAddress(extras.host ?? detect() ?? '127.0.0.1', extras.port);
  } else if (host !== undefined || port !== undefined) {
    throw invalidArgument(`${root}.address`, 'give either `address` or `host`/`port`, not both');
  }
  const locality = resolveLocality(extras.locality, envLocality);
  // Default id: the address, made id-safe (`[::1]:81` → `1:81`: ids start with a letter or digit).
  const id =
    extras.id ??
    address
      .replace(/[[\]]/g, '')
      .replace(/[^A-Za-z0-9._:@-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '');
  return parseInstance({ ...rest, address, id, locality }, root);
}
