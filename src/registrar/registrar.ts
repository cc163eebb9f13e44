import type { ProximaError } from '../core/errors.js';
import type { Event } from '../core/event.js';
import type { Instance, InstancePatch } from '../core/instance.js';
import { preloadZod } from '../core/zod.js';
import type { TopologyReport } from '../topology/topology.js';
import type { RegistrationBreakerState } from './breaker.js';
import type {
  HealthChangedEvent,
  InstanceLossEvent,
  RegisteredEvent,
  RegistrarErrorEvent,
  RegistrarState,
} from './events.js';
import type { RegistrarExplanation } from './explain.js';
import type { RegistrarOptions } from './options.js';
import { sharedLocality } from './shared-locality.js';

/**
 * The service side of the registry: keeps this process's instances registered under one lease,
 * renews it every TTL/3, registers everything again when the lease is lost (expired during a
 * partition, or a registry that restarted empty), and drains on shutdown.
 */
export interface Registrar extends AsyncDisposable {
  readonly state: RegistrarState;
  /** The instances as they should be registered (updates applied). */
  readonly instances: readonly Instance[];
  /** The current lease's id while registered. */
  readonly leaseId: string | undefined;
  readonly breakerState: RegistrationBreakerState;
  /** Where the instances' locality came from, and what every topology source answered. */
  readonly topology: TopologyReport;
  /** The agent-side check's verdict (undefined without a check). */
  readonly health: 'passing' | 'failing' | undefined;
  /** The check marked the instances DOWN (`failing`) or UP again (`passing`). */
  readonly onHealthChanged: Event<HealthChangedEvent>;
  /** First registration. */
  readonly onRegistered: Event<RegisteredEvent>;
  /** The lease was lost; re-registration starts at once. */
  readonly onLost: Event<ProximaError>;
  /** Registered again under a new lease after a loss. */
  readonly onReregistered: Event<RegisteredEvent>;
  readonly onError: Event<RegistrarErrorEvent>;
  readonly onBreakerStateChanged: Event<RegistrationBreakerState>;
  /** `drain()` finished: everything deregistered (or given up on) and the lease revoked. */
  readonly onDrained: Event<void>;
  /**
   * A keep-alive found an instance the lease no longer holds (someone deregistered or replaced it)
   * and the registrar registered it again, or could not (see {@link refused}).
   */
  readonly onInstanceLost: Event<InstanceLossEvent>;
  /**
   * Instances the registry currently refuses to take back or to register (e.g. another identity
   * holds the id: ALREADY_EXISTS; the token may not write the service: PERMISSION_DENIED), with the
   * reason. Empty while everything is registered as it should be.
   */
  readonly refused: readonly InstanceLossEvent[];
  /**
   * The registrar's state for people: lease, every instance and where it stands, and every refusal
   * with the registry's reason, since when, and what to do (print it with
   * `formatRegistrarExplanation`). A refusal leaves it as soon as a registration of that instance
   * succeeds.
   */
  explain(): RegistrarExplanation;
  /**
   * Changes status, weight or metadata of every instance, now and in every later re-registration.
   * Rejects if the registry could not be told now (the change is still kept).
   */
  update(patch: InstancePatch): Promise<readonly Instance[]>;
  /** Marks every instance DRAINING, then deregisters them and revokes the lease. Idempotent. */
  drain(): Promise<void>;
}

/**
 * Starts a registrar and (unless `awaitRegistration: false`) resolves once it is registered.
 * Registration is retried with full-jitter backoff behind a circuit breaker until it succeeds or
 * `signal` aborts (the promise then rejects with CANCELLED).
 *
 * @example
 * ```ts
 * await using registrar = await startRegistrar({
 *   registry: await openRegistry(registryUrlFromEnv(process.env)),
 *   instance: { service: 'users', port: 9000, locality: { zone: 'eu-west-1a' } },
 *   ttlMs: 5000,
 * });
 * registrar.onLost((error) => logger.warn({ error }, 'lease lost, re-registering'));
 * // on shutdown: `await registrar.drain()` (or leave the `await using` block)
 * ```
 */
export async function startRegistrar(options: RegistrarOptions): Promise<Registrar> {
  // The registrar's machinery loads on the first call, not with the package; zod is the
  // application's copy when it has one. All of it before the registrar exists: a registrar made
  // with `awaitRegistration: false` is still returned before its first attempt can report.
  const [{ resolveRegistrarOptions }, { RegistrarImpl }, { lookupTopology }, { announceTopology }] =
    await Promise.all([
      import('./options.js'),
      import('./registrar-impl.js'),
      import('../topology/lookup.js'),
      import('../topology/announce.js'),
      preloadZod(),
    ]);
  resolveRegistrarOptions(options); // bad options fail before any lookup
  const topology = await lookupTopology({
    role: 'service',
    env: options.env ?? process.env,
    topology: options.topology,
    configured: sharedLocality(options),
  });
  const config = resolveRegistrarOptions(options, topology.locality);
  if (config.instances.some((i) => i.locality.zone === '')) {
    const first = config.instances.find((i) => i.locality.zone === '');
    announceTopology(
      { ...topology, locality: first?.locality ?? topology.locality },
      'service',
      options.logger,
    );
  } else {
    announceTopology({ ...topology, known: true }, 'service', options.logger);
  }
  const registrar = new RegistrarImpl(config, topology);
  if (config.awaitRegistration) await registrar.firstRegistration;
  return registrar;
}
