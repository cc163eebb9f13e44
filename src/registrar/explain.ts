import type { ErrorCode } from '../core/errors.js';
import { httpStatusOf } from '../core/http-status.js';
import { formatLocality } from '../core/locality.js';
import type { Instance, InstanceStatus } from '../core/instance.js';
import { formatSources, type TopologyReport } from '../topology/topology.js';
import type { RegistrationBreakerState } from './breaker.js';
import type { RegistrarState } from './events.js';
import { type Refusal, type RefusalPhase, refusalAdvice, registryKind } from './refusals.js';
import { instanceKey } from './session.js';

/** One instance the registry refuses to hold for this registrar, for people and tools. */
export interface ExplainedRefusal {
  /** `service/id`. */
  readonly instance: string;
  /** The registry's error code: `ALREADY_EXISTS`, `PERMISSION_DENIED`, `UNAUTHENTICATED`, … */
  readonly code: ErrorCode;
  /**
   * The HTTP status the Proxima registry server answered (409, 403, 401); undefined for other
   * backends (etcd answers gRPC codes) and for codes without one.
   */
  readonly status: number | undefined;
  /** The registry's own reason: who holds the id, which access is missing. */
  readonly reason: string;
  readonly phase: RefusalPhase;
  /** When the first refusal of this run happened (wall clock, ISO 8601). */
  readonly since: string;
  /** How long the registry has been refusing it, ms. */
  readonly forMs: number;
  /** Refusals in a row so far. */
  readonly count: number;
  /** What to do about it, and whether and when the registrar tries again. */
  readonly action: string;
}

/** One instance the registrar keeps registered, and where it stands. */
export interface ExplainedRegistration {
  /** `service/id`. */
  readonly instance: string;
  readonly address: string;
  readonly locality: string;
  readonly status: InstanceStatus;
  /** `registered` under the current lease, `refused` by the registry, or `not registered` (yet, or any more). */
  readonly state: 'registered' | 'refused' | 'not registered';
}

/**
 * A registrar's state as data (`registrar.explain()`): its lease, every instance with where it
 * stands, and every refusal with the registry's reason, since when, and what to do.
 */
export interface RegistrarExplanation {
  readonly state: RegistrarState;
  readonly leaseId: string | undefined;
  readonly ttlMs: number;
  readonly breaker: RegistrationBreakerState;
  /** Set when this service's zone is unknown (callers cannot prefer it from their zone): why. */
  readonly topology: string | undefined;
  readonly instances: readonly ExplainedRegistration[];
  /** Empty while the registry holds everything as it should. */
  readonly refused: readonly ExplainedRefusal[];
}

/** What {@link explainRegistrar} reads from a registrar. */
export interface RegistrarView {
  /** The registry's URL: which kind of registry refused (its advice and statuses differ). */
  readonly registryUrl: string;
  readonly state: RegistrarState;
  readonly leaseId: string | undefined;
  readonly ttlMs: number;
  readonly breaker: RegistrationBreakerState;
  readonly topology: TopologyReport;
  readonly instances: readonly Instance[];
  /** Whether a lease is held now (a session is open). */
  readonly holdsLease: boolean;
  readonly refusals: readonly Refusal[];
  /** Monotonic now (`clock.now()`). */
  readonly now: number;
}

/** Builds the explanation from a registrar's state at `view.now`. */
export function explainRegistrar(view: RegistrarView): RegistrarExplanation {
  const refusals = new Map(view.refusals.map((r) => [instanceKey(r.instance), r]));
  const zoneUnknown = view.instances.some((i) => i.locality.zone === '');
  const kind = registryKind(view.registryUrl);
  return {
    state: view.state,
    leaseId: view.leaseId,
    ttlMs: view.ttlMs,
    breaker: view.breaker,
    topology: zoneUnknown
      ? `service zone unknown: callers cannot prefer it from their own zone (${formatSources(view.topology.sources)})`
      : undefined,
    instances: view.instances.map((i) => {
      const key = instanceKey(i);
      return {
        instance: key,
        address: i.address,
        locality: formatLocality(i.locality),
        status: i.status,
        state: refusals.has(key) ? 'refused' : view.holdsLease ? 'registered' : 'not registered',
      };
    }),
    refused: view.refusals.map((r) => ({
      instance: instanceKey(r.instance),
      code: r.error.code,
      status: kind === 'proxima' ? httpStatusOf(r.error.code) : undefined,
      reason: r.error.message,
      phase: r.phase,
      since: new Date(r.sinceWallMs).toISOString(),
      forMs: Math.max(0, Math.round(view.now - r.sinceMs)),
      count: r.count,
      action: `${refusalAdvice(r.error.code, kind, r.instance.service)}; ${retryNote(view, r.phase)}`,
    })),
  };
}

/** Whether and when the registrar asks again. */
function retryNote(view: RegistrarView, phase: RefusalPhase): string {
  if (view.state === 'closed' || view.state === 'draining') {
    return view.leaseId === undefined && phase === 'register'
      ? 'not retried: a refused first registration stops the registrar (fix it, then start it again)'
      : 'not retried: the registrar is stopping';
  }
  return phase === 'restore'
    ? `retried at every keep-alive (every ${seconds(view.ttlMs / 3)})`
    : `retried with backoff (registration breaker ${view.breaker})`;
}

/**
 * The explanation as text for people (logs, a debug endpoint):
 *
 * ```
 * registrar registered · lease q3Vb… (ttl 3s) · breaker closed
 * instance orders/r2 127.0.0.1:9500 eu/eu-1 UP · refused
 * refused orders/r2: 409 ALREADY_EXISTS since 2026-12-03T17:40:01.123Z (12s, 4 times): instance orders/r2 is registered by "bob"; … → another identity's live lease holds …; retried at every keep-alive (every 1s)
 * ```
 */
export function formatRegistrarExplanation(x: RegistrarExplanation): string {
  const lines = [
    `registrar ${x.state}${x.leaseId === undefined ? ' · no lease' : ` · lease ${x.leaseId}`} (ttl ${seconds(x.ttlMs)}) · breaker ${x.breaker}`,
  ];
  if (x.topology !== undefined) lines.push(`topology: ${x.topology}`);
  for (const i of x.instances) {
    lines.push(`instance ${i.instance} ${i.address} ${i.locality} ${i.status} · ${i.state}`);
  }
  for (const r of x.refused) lines.push(formatRefusal(r));
  return lines.join('\n');
}

/** One refusal as the line {@link formatRegistrarExplanation} prints (`proxima register` prints it too). */
export function formatRefusal(r: ExplainedRefusal): string {
  const status = r.status === undefined ? r.code : `${r.status} ${r.code}`;
  const times = `${r.count} ${r.count === 1 ? 'time' : 'times'}`;
  return `refused ${r.instance}: ${status} since ${r.since} (${seconds(r.forMs)}, ${times}): ${r.reason} → ${r.action}`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${Math.round(ms / 100) / 10}s`;
}
