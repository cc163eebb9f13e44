import { type Clock, sleep } from '../core/clock.js';
import { ProximaError, toProximaError } from '../core/errors.js';
import { Emitter, type Event } from '../core/event.js';
import type { Instance, InstancePatch } from '../core/instance.js';
import type { LocalityInput } from '../core/locality.js';
import { parsePatch } from '../registry/inputs.js';
import { announceTopology } from '../topology/announce.js';
import { lookupTopology } from '../topology/lookup.js';
import type { TopologyReport } from '../topology/topology.js';
import { RegistrationBreaker, type RegistrationBreakerState } from './breaker.js';
import { type CheckResult, runHealthChecks } from './checks/health-check.js';
import type {
  HealthChangedEvent,
  InstanceLossEvent,
  RegisteredEvent,
  RegistrarErrorEvent,
  RegistrarState,
} from './events.js';
import { type RegistrarConfig, type RegistrarOptions, resolveRegistrarOptions } from './options.js';
import { retryUntilDone } from './retry.js';
import {
  instanceKey,
  keepSessionAlive,
  missingRegistrations,
  openSession,
  registerAll,
  type Session,
} from './session.js';

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
   * Instances the registry currently refuses to take back (e.g. another identity holds the id:
   * ALREADY_EXISTS), with the reason. Empty while everything is registered as it should be.
   */
  readonly refused: readonly InstanceLossEvent[];
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

const FATAL_AT_START: ReadonlySet<string> = new Set([
  'INVALID_ARGUMENT',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'ALREADY_EXISTS',
]);

class RegistrarImpl implements Registrar {
  private stateValue: RegistrarState = 'registering';
  private desired: Instance[];
  /** Bumped by every update, so a session opened meanwhile knows to re-register. */
  private desiredVersion = 0;
  private session: Session | undefined;
  private updates: Promise<unknown> = Promise.resolve();
  private draining: Promise<void> | undefined;
  private everRegistered = false;
  private lastBreakerState: RegistrationBreakerState = 'closed';
  private readonly stop = new AbortController();
  private readonly breaker: RegistrationBreaker;
  private readonly loop: Promise<void>;
  readonly firstRegistration: Promise<void>;
  private settleFirst!: (error?: ProximaError) => void;

  private readonly registered = new Emitter<RegisteredEvent>();
  private readonly lost = new Emitter<ProximaError>();
  private readonly reregistered = new Emitter<RegisteredEvent>();
  private readonly errors = new Emitter<RegistrarErrorEvent>();
  private readonly breakerChanges = new Emitter<RegistrationBreakerState>();
  private readonly drained = new Emitter<void>();
  private readonly healthChanges = new Emitter<HealthChangedEvent>();
  private healthValue: 'passing' | 'failing' | undefined;
  /** True while the check holds the instances DOWN (so only the check lifts it). */
  private downByCheck = false;
  readonly onHealthChanged = this.healthChanges.event;
  private readonly instanceLost = new Emitter<InstanceLossEvent>();
  private readonly refusals = new Map<string, InstanceLossEvent>();
  readonly onRegistered = this.registered.event;
  readonly onLost = this.lost.event;
  readonly onReregistered = this.reregistered.event;
  readonly onError = this.errors.event;
  readonly onBreakerStateChanged = this.breakerChanges.event;
  readonly onDrained = this.drained.event;
  readonly onInstanceLost = this.instanceLost.event;

  constructor(
    private readonly config: RegistrarConfig,
    readonly topology: TopologyReport,
  ) {
    this.desired = [...config.instances];
    this.breaker = new RegistrationBreaker(config.breaker, config.clock);
    this.firstRegistration = new Promise<void>((resolve, reject) => {
      this.settleFirst = (error) => (error === undefined ? resolve() : reject(error));
    });
    this.firstRegistration.catch(() => undefined); // observed by startRegistrar when it waits
    this.loop = this.run().catch((error: unknown) => {
      const e = toProximaError(error);
      this.settleFirst(e);
      this.emitError({ phase: 'register', error: e });
      this.stateValue = 'closed';
    });
    if (config.check !== undefined) {
      this.healthValue = 'passing';
      void runHealthChecks(config.check, config.clock, this.stop.signal, (result) => this.onCheck(result));
    }
    const signal = config.signal;
    if (signal?.aborted) void this.drain();
    else signal?.addEventListener('abort', () => void this.drain(), { once: true });
  }

  get state(): RegistrarState {
    return this.stateValue;
  }

  get instances(): readonly Instance[] {
    return this.desired;
  }

  get refused(): readonly InstanceLossEvent[] {
    return [...this.refusals.values()];
  }

  get leaseId(): string | undefined {
    return this.session?.lease.id;
  }

  get health(): 'passing' | 'failing' | undefined {
    return this.healthValue;
  }

  get breakerState(): RegistrationBreakerState {
    return this.breaker.state;
  }

  update(patch: InstancePatch): Promise<readonly Instance[]> {
    if (this.draining !== undefined) {
      return Promise.reject(new ProximaError('FAILED_PRECONDITION', 'registrar is draining'));
    }
    let valid: InstancePatch;
    try {
      valid = parsePatch(patch);
    } catch (error) {
      return Promise.reject(error);
    }
    const next = this.updates.then(() => this.applyUpdate(valid));
    this.updates = next.catch(() => undefined);
    return next;
  }

  drain(): Promise<void> {
    this.draining ??= this.doDrain();
    return this.draining;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain();
  }

  private async run(): Promise<void> {
    const { clock } = this.config;
    while (!this.stop.signal.aborted) {
      const session = await this.establish();
      this.session = session;
      // Stopped (maybe just after a session opened: drain cleans it up).
      if (session === undefined || this.stop.signal.aborted) break;
      this.stateValue = 'registered';
      const event = { instances: this.desired, leaseId: session.lease.id, ttlMs: session.lease.ttlMs };
      this.config.logger.info(
        { leaseId: event.leaseId, instances: this.desired.length },
        'registrar: registered',
      );
      if (this.everRegistered) this.reregistered.emit(event);
      else this.registered.emit(event);
      this.everRegistered = true;
      this.settleFirst();
      const loss = await keepSessionAlive(
        session,
        clock,
        this.stop.signal,
        (error) => this.emitError({ phase: 'keep-alive', error }),
        () => this.restoreMissing(session),
      );
      if (loss === undefined) break;
      this.session = undefined;
      this.stateValue = 'registering';
      this.config.logger.warn({ leaseId: session.lease.id, err: loss.message }, 'registrar: lease lost');
      this.lost.emit(loss);
    }
    this.settleFirst(new ProximaError('CANCELLED', 'registrar stopped before it registered'));
  }

  /** Opens a session (retrying), then makes sure it carries updates that raced with it. */
  private establish(): Promise<Session | undefined> {
    const { registry, ttlMs, clock, random, retry } = this.config;
    return retryUntilDone(
      async (signal) => {
        const version = this.desiredVersion;
        const session = await openSession(registry, this.desired, ttlMs, signal);
        if (version !== this.desiredVersion) {
          session.registrations = await registerAll(registry, session.lease, this.desired, signal);
        }
        return session;
      },
      {
        clock,
        random,
        backoff: retry,
        breaker: this.breaker,
        stop: this.stop.signal,
        // A first registration the registry refuses outright (bad input, bad token, no right, an id
        // another identity holds) is a configuration error: fail the start instead of retrying forever.
        isFatal: (e) => FATAL_AT_START.has(e.code) && !this.everRegistered,
        onFailure: (error, attempt, retryInMs) =>
          this.emitError({ phase: 'register', error, attempt, retryInMs }),
        onBreaker: () => this.noteBreaker(),
      },
    );
  }

  /**
   * Registers again, under the same lease, every instance the last keep-alive says the lease no
   * longer holds. A refusal is loud (error log, `onInstanceLost`, `refused`) and retried at the next
   * keep-alive; a lost lease is thrown, so the keep-alive loop re-registers everything.
   */
  private async restoreMissing(session: Session): Promise<void> {
    const missing = missingRegistrations(session);
    if (missing.length === 0) {
      this.refusals.clear();
      return;
    }
    const { registry, logger } = this.config;
    for (const old of missing) {
      const key = instanceKey(old.instance);
      const instance = this.desired.find((i) => instanceKey(i) === key) ?? old.instance;
      try {
        const registration = await registry.register(instance, {
          lease: session.lease,
          signal: this.stop.signal,
        });
        session.registrations = session.registrations.map((r) => (r === old ? registration : r));
        this.refusals.delete(key);
        logger.warn(
          { instance: key },
          'registrar: instance was removed from the registry; registered it again',
        );
        this.instanceLost.emit({ instance, restored: true });
      } catch (error) {
        const e = toProximaError(error, 'UNAVAILABLE');
        if (e.code === 'LEASE_LOST' || this.stop.signal.aborted) throw e;
        if (e.retryable) {
          this.emitError({ phase: 'restore', error: e });
          continue;
        }
        const first = !this.refusals.has(key);
        const event: InstanceLossEvent = { instance, restored: false, error: e };
        this.refusals.set(key, event);
        if (!first) continue;
        (logger.error ?? logger.warn).call(
          logger,
          { instance: key, code: e.code, err: e.message },
          'registrar: instance was removed from the registry and the registry refuses to take it back',
        );
        this.instanceLost.emit(event);
        this.errors.emit({ phase: 'restore', error: e });
      }
    }
  }

  private async applyUpdate(patch: InstancePatch): Promise<readonly Instance[]> {
    this.desired = this.desired.map((i) => ({
      ...i,
      status: patch.status ?? i.status,
      weight: patch.weight ?? i.weight,
      metadata: patch.metadata ?? i.metadata,
    }));
    this.desiredVersion += 1;
    const session = this.session;
    if (session === undefined) return this.desired;
    const results = await Promise.allSettled(session.registrations.map((r) => r.update(patch)));
    for (const result of results) {
      if (result.status === 'fulfilled') continue;
      const error = toProximaError(result.reason, 'UNAVAILABLE');
      // A lost lease re-registers the desired instances anyway.
      if (error.code === 'LEASE_LOST') continue;
      this.emitError({ phase: 'update', error });
      throw error;
    }
    return this.desired;
  }

  private async doDrain(): Promise<void> {
    this.stateValue = 'draining';
    this.stop.abort(new ProximaError('CANCELLED', 'registrar draining'));
    await this.loop;
    await this.updates;
    const session = this.session;
    if (session !== undefined) {
      const { registrations, lease } = session;
      // An instance already marked DRAINING (a server's drain step did it) is not written again:
      // every write is a revision and an event for every watcher.
      const notYet = registrations.filter((r) => r.instance.status !== 'DRAINING');
      if (notYet.length > 0) {
        await this.bounded((signal) =>
          Promise.all(notYet.map((r) => r.update({ status: 'DRAINING' }, { signal }))),
        );
      }
      if (this.config.drainDelayMs > 0) await sleep(this.config.clock, this.config.drainDelayMs);
      await this.bounded((signal) => Promise.all(registrations.map((r) => r.deregister({ signal }))));
      await this.bounded((signal) => lease.revoke({ signal }));
    }
    this.session = undefined;
    this.stateValue = 'closed';
    this.config.logger.info({ instances: this.desired.length }, 'registrar: drained');
    this.drained.emit();
  }

  /** Runs one drain step under the drain timeout; failures are reported, not thrown. */
  private async bounded(step: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
    const { signal, dispose } = clockTimeout(this.config.clock, this.config.drainTimeoutMs);
    try {
      await step(signal);
    } catch (error) {
      const e = toProximaError(error, 'UNAVAILABLE');
      if (e.code !== 'LEASE_LOST') this.emitError({ phase: 'drain', error: e });
    } finally {
      dispose();
    }
  }

  private onCheck(result: CheckResult): void {
    const check = this.config.check?.describe;
    if (!result.passed)
      this.config.logger.warn({ check, reason: result.reason }, 'registrar: health check missed');
    const health = result.state.kind === 'healthy' ? 'passing' : 'failing';
    if (health === this.healthValue) return;
    this.healthValue = health;
    const status = health === 'failing' ? 'DOWN' : 'UP';
    this.config.logger.warn(
      { check, reason: result.reason, status },
      `registrar: health check ${health}, marking ${status}`,
    );
    this.healthChanges.emit({ health, reason: result.reason });
    // The check never overrides a drain, nor lifts a DOWN it did not set.
    const current = this.desired[0]?.status;
    if (this.draining !== undefined || current === 'DRAINING') return;
    if (status === 'UP' ? !this.downByCheck : current === 'DOWN') return;
    this.downByCheck = status === 'DOWN';
    this.update({ status }).catch(() => undefined); // reported through onError; kept for re-registration
  }

  private noteBreaker(): void {
    const state = this.breaker.state;
    if (state === this.lastBreakerState) return;
    this.lastBreakerState = state;
    this.config.logger.warn({ state }, 'registrar: registration breaker');
    this.breakerChanges.emit(state);
  }

  private emitError(event: RegistrarErrorEvent): void {
    this.config.logger.warn(
      { phase: event.phase, code: event.error.code, err: event.error.message, retryInMs: event.retryInMs },
      'registrar: registry call failed',
    );
    this.errors.emit(event);
  }
}

/**
 * The locality fields every instance sets in code: the lookup skips network sources when they
 * already name region and zone for all of them.
 */
function sharedLocality(options: RegistrarOptions): LocalityInput | undefined {
  const inputs = options.instances ?? (options.instance === undefined ? [] : [options.instance]);
  const out: { region?: string; zone?: string; subzone?: string } = {};
  for (const key of ['region', 'zone', 'subzone'] as const) {
    const values = inputs.map((i) => i.locality?.[key]);
    const first = values[0];
    if (first !== undefined && first !== '' && values.every((v) => v !== undefined && v !== ''))
      out[key] = first;
  }
  return out;
}

/** An AbortSignal that aborts after `ms` on `clock` (DEADLINE_EXCEEDED), and a way to cancel it. */
function clockTimeout(clock: Clock, ms: number): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const timer = clock.setTimeout(
    () => controller.abort(new ProximaError('DEADLINE_EXCEEDED', `registry call took over ${ms} ms`)),
    ms,
  );
  timer.unref?.();
  return { signal: controller.signal, dispose: () => clock.clearTimeout(timer) };
}
