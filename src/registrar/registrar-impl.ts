import { ProximaError, toProximaError } from '../core/errors.js';
import type { Event } from '../core/event.js';
import type { Instance, InstancePatch } from '../core/instance.js';
import { parsePatch } from '../registry/inputs.js';
import type { TopologyReport } from '../topology/topology.js';
import { RegistrationBreaker, type RegistrationBreakerState } from './breaker.js';
import { type CheckResult, runHealthChecks } from './checks/health-check.js';
import { drainSession } from './drain.js';
import { RegistrarEmitters } from './emitters.js';
import { establishSession } from './establish.js';
import type {
  HealthChangedEvent,
  InstanceLossEvent,
  RegisteredEvent,
  RegistrarErrorEvent,
  RegistrarState,
} from './events.js';
import { explainRegistrar, type RegistrarExplanation } from './explain.js';
import type { RegistrarConfig } from './options.js';
import { Refusals } from './refusals.js';
import { restoreMissing } from './restore.js';
import { instanceKey, keepSessionAlive, type Session } from './session.js';

/**
 * A registrar's life: register (retrying), keep the lease alive and restore what it lost,
 * register again after a lost lease, apply updates, drain. `startRegistrar` makes one; the parts
 * live beside it (`establish.ts`, `session.ts`, `restore.ts`, `drain.ts`, `explain.ts`).
 */
export class RegistrarImpl {
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

  private readonly emit: RegistrarEmitters;
  private readonly refusals: Refusals;
  private healthValue: 'passing' | 'failing' | undefined;
  /** True while the check holds the instances DOWN (so only the check lifts it). */
  private downByCheck = false;
  readonly onHealthChanged: Event<HealthChangedEvent>;
  readonly onRegistered: Event<RegisteredEvent>;
  readonly onLost: Event<ProximaError>;
  readonly onReregistered: Event<RegisteredEvent>;
  readonly onError: Event<RegistrarErrorEvent>;
  readonly onBreakerStateChanged: Event<RegistrationBreakerState>;
  readonly onDrained: Event<void>;
  readonly onInstanceLost: Event<InstanceLossEvent>;

  constructor(
    private readonly config: RegistrarConfig,
    readonly topology: TopologyReport,
  ) {
    this.desired = [...config.instances];
    this.emit = new RegistrarEmitters(config.logger);
    this.refusals = new Refusals(config.clock);
    this.onHealthChanged = this.emit.healthChanges.event;
    this.onRegistered = this.emit.registered.event;
    this.onLost = this.emit.lost.event;
    this.onReregistered = this.emit.reregistered.event;
    this.onError = this.emit.errors.event;
    this.onBreakerStateChanged = this.emit.breakerChanges.event;
    this.onDrained = this.emit.drained.event;
    this.onInstanceLost = this.emit.instanceLost.event;
    this.breaker = new RegistrationBreaker(config.breaker, config.clock);
    this.firstRegistration = new Promise<void>((resolve, reject) => {
      this.settleFirst = (error) => (error === undefined ? resolve() : reject(error));
    });
    this.firstRegistration.catch(() => undefined); // observed by startRegistrar when it waits
    this.loop = this.run().catch((error: unknown) => {
      const e = toProximaError(error);
      // Closed before the error is told, so a listener sees that the registrar gave up.
      this.stateValue = 'closed';
      this.settleFirst(e);
      this.emit.error({ phase: 'register', error: e });
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
    return this.refusals.events();
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

  explain(): RegistrarExplanation {
    return explainRegistrar({
      registryUrl: this.config.registry.url,
      state: this.stateValue,
      leaseId: this.leaseId,
      ttlMs: this.session?.lease.ttlMs ?? this.config.ttlMs,
      breaker: this.breaker.state,
      topology: this.topology,
      instances: this.desired,
      holdsLease: this.session !== undefined,
      refusals: this.refusals.list(),
      now: this.config.clock.now(),
    });
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
      if (this.refusals.size > 0) {
        const instances = this.refusals.list().map((r) => instanceKey(r.instance));
        this.config.logger.info({ instances }, 'registrar: the registry took the refused instances');
        this.refusals.clear();
      }
      const event = { instances: this.desired, leaseId: session.lease.id, ttlMs: session.lease.ttlMs };
      this.config.logger.info(
        { leaseId: event.leaseId, instances: this.desired.length },
        'registrar: registered',
      );
      if (this.everRegistered) this.emit.reregistered.emit(event);
      else this.emit.registered.emit(event);
      this.everRegistered = true;
      this.settleFirst();
      const loss = await keepSessionAlive(
        session,
        clock,
        this.stop.signal,
        (error) => this.emit.error({ phase: 'keep-alive', error }),
        () => this.restore(session),
      );
      if (loss === undefined) break;
      this.session = undefined;
      this.stateValue = 'registering';
      this.config.logger.warn({ leaseId: session.lease.id, err: loss.message }, 'registrar: lease lost');
      this.emit.lost.emit(loss);
    }
    this.settleFirst(new ProximaError('CANCELLED', 'registrar stopped before it registered'));
  }

  /** Opens a session (retrying), recording refusals; see {@link establishSession}. */
  private establish(): Promise<Session | undefined> {
    return establishSession({
      config: this.config,
      breaker: this.breaker,
      stop: this.stop.signal,
      refusals: this.refusals,
      emit: this.emit,
      desired: () => this.desired,
      desiredVersion: () => this.desiredVersion,
      everRegistered: () => this.everRegistered,
      onBreaker: () => this.noteBreaker(),
    });
  }

  /** Restores what the last keep-alive found missing; see {@link restoreMissing}. */
  private restore(session: Session): Promise<void> {
    return restoreMissing(session, {
      config: this.config,
      desired: () => this.desired,
      stop: this.stop.signal,
      refusals: this.refusals,
      emit: this.emit,
    });
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
      this.emit.error({ phase: 'update', error });
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
      await drainSession(session, this.config, (error) => this.emit.error({ phase: 'drain', error }));
    }
    this.session = undefined;
    this.stateValue = 'closed';
    this.config.logger.info({ instances: this.desired.length }, 'registrar: drained');
    this.emit.drained.emit();
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
    this.emit.healthChanges.emit({ health, reason: result.reason });
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
    this.emit.breakerChanges.emit(state);
  }
}
