import type { Endpoint } from '../balancer/picker.js';
import { ProximaError } from '../core/errors.js';
import type { Instance } from '../core/instance.js';
import type { Locality } from '../core/locality.js';
import type { Random } from '../core/random.js';
import { Prober, type ProbeTarget } from '../probe/prober.js';
import { RttTable } from '../probe/rtt-source.js';
import { callPolicy } from '../resilience/call-policy.js';
import { executeCall } from '../resilience/execute-call.js';
import type { AttemptContext, CallPolicy } from '../resilience/policy.js';
import { createRouter, type Router } from '../routing/router.js';
import { exponential } from './distributions.js';
import type { SimEvent } from './event-queue.js';
import type { Metrics } from './metrics.js';
import { visibleInstances, type SimPolicy } from './policies.js';
import type { Scenario } from './scenario.js';
import type { SimServer, Window } from './server-model.js';
import type { Network } from './topology.js';
import type { VirtualClock } from './virtual-clock.js';

/** What every simulated caller shares. */
export interface ClientEnv {
  readonly clock: VirtualClock;
  readonly network: Network;
  readonly servers: ReadonlyMap<string, SimServer>;
  readonly metrics: Metrics;
  readonly scenario: Scenario;
  readonly policy: SimPolicy;
  /** The calling service's own instances (zone-aware routing reads their spread). */
  readonly callerInstances: readonly Instance[];
  readonly window: Window;
  /** Calls in flight over all clients. */
  readonly load: { inflight: number };
}

/** Seeded random streams of one client. */
export interface ClientStreams {
  readonly arrivals: Random;
  readonly router: Random;
  readonly policy: Random;
  readonly prober: Random;
}

/**
 * One calling process: the real router (with its RTT table fed by the real prober, probing over the
 * modelled network) and the real call policy (`executeCall`, failover with retry budget and
 * backoff). Calls arrive as a Poisson stream; each attempt crosses the network, waits at the
 * instance and comes back, and the router learns from it exactly as in a live client.
 */
export class SimClient {
  readonly router: Router;
  private readonly rtt = new RttTable();
  private readonly prober: Prober | undefined;
  private readonly policy: CallPolicy<'failover'>;
  private readonly locality: Locality;
  private rateFactor = 1;
  private nextArrival: SimEvent | undefined;
  private stopped = false;
  /** Cancellers of probes in flight. */
  private readonly probes = new Set<() => void>();

  constructor(
    private readonly env: ClientEnv,
    readonly zone: string,
    region: string,
    private readonly ratePerSec: number,
    private readonly streams: ClientStreams,
  ) {
    const { clock, policy, scenario } = env;
    this.locality = { region, zone, subzone: '' };
    this.router = createRouter({
      ...policy.router,
      service: scenario.service,
      ...(policy.locality ? { locality: this.locality } : {}),
      clock,
      random: streams.router,
      rtt: this.rtt,
    });
    const retry = scenario.retry;
    this.policy = callPolicy({
      getPicker: () => this.router.picker,
      onPickerChange: this.router.changed,
      failMode: 'failover',
      idempotent: true,
      retry: {
        maxAttempts: retry.maxAttempts,
        initialBackoffMs: retry.initialBackoff,
        maxBackoffMs: Math.max(retry.initialBackoff, retry.maxBackoff),
      },
      timeoutMs: scenario.timeout,
      clock,
      random: streams.policy,
    });
    this.prober = scenario.probe.enabled
      ? new Prober({
          clock,
          random: streams.prober,
          rtt: this.rtt,
          targets: () => this.router.probeTargets(),
          intervalMs: scenario.probe.interval,
          othersPerRound: scenario.probe.othersPerRound,
          probe: (target, signal) => this.probe(target, signal),
        })
      : undefined;
  }

  /** A new registry snapshot reached this caller. */
  update(instances: readonly Instance[]): void {
    const visible = visibleInstances(this.env.policy, instances, this.locality);
    this.router.update(visible, { callers: this.env.callerInstances });
  }

  /** Starts calling (and probing: one round now, as a caller that has been up a while). */
  start(): void {
    if (this.prober !== undefined) {
      void this.prober.round();
      this.prober.start();
    }
    this.scheduleArrival();
  }

  /** Scales this caller's rate (the `overload` fault); takes effect at once. */
  setRateFactor(factor: number): void {
    this.rateFactor = factor;
    if (this.nextArrival !== undefined) this.nextArrival.cancelled = true;
    this.nextArrival = undefined;
    this.scheduleArrival();
  }

  /** Stops probing and routing (no timers left behind). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.nextArrival !== undefined) this.nextArrival.cancelled = true;
    for (const cancel of this.probes) cancel();
    this.probes.clear();
    await this.prober?.stop();
    this.router.close();
  }

  private scheduleArrival(): void {
    const rate = this.ratePerSec * this.rateFactor;
    if (this.stopped || rate <= 0) return;
    const gap = exponential(this.streams.arrivals, 1000 / rate);
    if (this.env.clock.now() + gap >= this.env.window.end) return;
    this.nextArrival = this.env.clock.schedule(gap, () => {
      this.nextArrival = undefined;
      this.call();
      this.scheduleArrival();
    });
  }

  private call(): void {
    const { clock, metrics, window, load } = this.env;
    const start = clock.now();
    const measured = start >= window.start && start < window.end;
    load.inflight++;
    executeCall(this.policy, (endpoint, context) => this.send(endpoint, context, measured)).then(
      () => {
        load.inflight--;
        if (measured) metrics.succeeded(this.zone, clock.now() - start);
      },
      (error: ProximaError) => {
        load.inflight--;
        if (measured) metrics.failed(this.zone, error);
      },
    );
  }

  /** One attempt over the modelled network: there, queue and serve, back. */
  private send(endpoint: Endpoint, context: AttemptContext, measured: boolean): Promise<void> {
    const { clock, network, metrics } = this.env;
    const server = this.env.servers.get(endpoint.id);
    if (server === undefined)
      return Promise.reject(new ProximaError('INTERNAL', `no instance ${endpoint.id}`));
    const there = server.zone;
    if (measured)
      metrics.attempt(
        this.zone,
        endpoint.id,
        there,
        endpoint.instance.locality.region !== this.locality.region,
      );
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let timer: SimEvent | undefined;
      const settle = (error?: ProximaError): void => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) timer.cancelled = true;
        if (error === undefined) {
          resolve();
          return;
        }
        if (measured) metrics.attemptFailed();
        reject(error);
      };
      const deadline = context.deadline;
      if (deadline !== undefined)
        timer = clock.scheduleAt(deadline.at, () => settle(deadline.exceeded()), true);
      const back = (error?: ProximaError) =>
        clock.schedule(network.oneWayMs(there, this.zone), () => settle(error), true);
      clock.schedule(network.oneWayMs(this.zone, there), () => {
        const accepted = server.accept({
          reply: (result) =>
            back(
              result === 'ok'
                ? undefined
                : new ProximaError('UNAVAILABLE', `${endpoint.id}: connection reset`),
            ),
        });
        if (!accepted) back(refusal(server));
      });
    });
  }

  /**
   * TCP connect time over the modelled network; a killed instance refuses. Probes in flight are
   * cancelled by {@link SimClient.stop} (not through the prober's signal, which would collect one
   * listener per probe).
   */
  private probe(target: ProbeTarget, signal: AbortSignal): Promise<number> {
    const { clock, network } = this.env;
    const server = this.env.servers.get(target.id);
    return new Promise<number>((resolve, reject) => {
      if (server === undefined || signal.aborted) {
        reject(new ProximaError('UNAVAILABLE', `${target.id}: cannot probe`));
        return;
      }
      const rtt = network.oneWayMs(this.zone, server.zone) + network.oneWayMs(server.zone, this.zone);
      const cancel = (): void => {
        event.cancelled = true;
        reject(new ProximaError('CANCELLED', 'probe stopped'));
      };
      const event = clock.schedule(
        rtt,
        () => {
          this.probes.delete(cancel);
          if (server.killed) reject(new ProximaError('UNAVAILABLE', `${target.id}: connection refused`));
          else resolve(rtt);
        },
        true,
      );
      this.probes.add(cancel);
    });
  }
}

/**
 * Why an instance refused a call: killed (connection refused) or draining (GOAWAY). The call never
 * reached a handler, so it is marked unprocessed, as the RPC transport marks it.
 */
function refusal(server: SimServer): ProximaError {
  return server.killed
    ? new ProximaError('UNAVAILABLE', `${server.id}: connection refused`, {
        unprocessed: true,
        connectionFailed: true,
      })
    : new ProximaError('UNAVAILABLE', `${server.id}: draining, call not processed`, { unprocessed: true });
}
