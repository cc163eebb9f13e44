import type { Clock } from '../core/clock.js';
import type { ErrorCode, ProximaError } from '../core/errors.js';
import type { Instance } from '../core/instance.js';
import type { InstanceLossEvent } from './events.js';
import { instanceKey } from './session.js';

/**
 * Where a refusal came from: `restore` — a keep-alive found the instance gone and registering it
 * again under the same lease was refused; `register` — registering under a new lease (the first
 * registration, or again after a lost lease) was refused.
 */
export type RefusalPhase = 'restore' | 'register';

/** One instance the registry refuses to hold for this registrar, since the first refusal in a row. */
export interface Refusal {
  readonly instance: Instance;
  /** The latest refusal (the registry's code and its reason). */
  readonly error: ProximaError;
  readonly phase: RefusalPhase;
  /** Wall-clock ms of the first refusal in this run, for people. */
  readonly sinceWallMs: number;
  /** Monotonic ms of the first refusal in this run (`clock.now()`), for durations. */
  readonly sinceMs: number;
  /** Refusals in this run so far. */
  readonly count: number;
}

/**
 * The answers by which a registry refuses to register an instance, as opposed to failing to
 * answer: no retry changes them until someone changes the ACL, the token, the id, or the other
 * holder goes away.
 */
const REFUSING_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_ARGUMENT',
  'OUT_OF_RANGE',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION',
]);

/** Whether a failed registration is the registry refusing it (see {@link REFUSING_CODES}). */
export function isRefusal(error: ProximaError): boolean {
  return REFUSING_CODES.has(error.code) && !error.retryable;
}

/**
 * The instances the registry currently refuses, keyed by `service/id`. A refusal stays from its
 * first occurrence until a registration of that instance succeeds; repeated refusals update the
 * reason and the count but keep the start, so `explain()` can say since when.
 */
export class Refusals {
  private readonly byKey = new Map<string, Refusal>();

  constructor(private readonly clock: Clock) {}

  /** Records a refusal; true when it starts a run (the caller then reports it loudly, once). */
  note(instance: Instance, error: ProximaError, phase: RefusalPhase): boolean {
    const key = instanceKey(instance);
    const previous = this.byKey.get(key);
    this.byKey.set(key, {
      instance,
      error,
      phase,
      sinceWallMs: previous?.sinceWallMs ?? this.clock.wallNow(),
      sinceMs: previous?.sinceMs ?? this.clock.now(),
      count: (previous?.count ?? 0) + 1,
    });
    return previous === undefined;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  get(key: string): Refusal | undefined {
    return this.byKey.get(key);
  }

  /** The instance was registered: its refusal (if any) is over. */
  delete(key: string): void {
    this.byKey.delete(key);
  }

  /** Everything is registered as it should be. */
  clear(): void {
    this.byKey.clear();
  }

  get size(): number {
    return this.byKey.size;
  }

  list(): readonly Refusal[] {
    return [...this.byKey.values()];
  }

  /** As {@link InstanceLossEvent}s (the `registrar.refused` shape). */
  events(): readonly InstanceLossEvent[] {
    return this.list().map((r) => ({ instance: r.instance, restored: false, error: r.error }));
  }
}

/** Which kind of registry refused: its ACL, its words and its statuses differ. */
export type RegistryKind = 'proxima' | 'etcd' | 'other';

/** The kind of registry behind a URL (`http(s)://` is the Proxima registry server). */
export function registryKind(url: string): RegistryKind {
  if (/^https?:/i.test(url)) return 'proxima';
  if (/^etcd:/i.test(url)) return 'etcd';
  return 'other';
}

/**
 * What a person can do about a refusal with this code from this kind of registry (docs/security.md,
 * "Refused registrations in explain()").
 */
export function refusalAdvice(code: ErrorCode, kind: RegistryKind, service: string): string {
  switch (code) {
    case 'ALREADY_EXISTS':
      return (
        "another identity's live lease holds this service/id: stop the process that registered it " +
        '(its lease then ends) or give this instance another id; an admin token can deregister the other one'
      );
    case 'PERMISSION_DENIED':
      return kind === 'etcd'
        ? `the etcd user may not write this service's keys: grant its role readwrite on ` +
            `<prefix>/services/${service}/ (etcdctl role grant-permission), or use a user that has it`
        : "this registrar's token may not write this service: grant its identity write access in the " +
            "registry's ACL file (then SIGHUP the registry), or run with a token that has it";
    case 'UNAUTHENTICATED':
      return kind === 'etcd'
        ? 'etcd does not accept these credentials: check the user and password (URL, PROXIMA_ETCD_USER / ' +
            'PROXIMA_ETCD_PASSWORD) or the client certificate'
        : 'the registry does not accept this registrar’s token: set PROXIMA_TOKEN (or the registry ' +
            'token option) to a token of the ACL file';
    default:
      return 'the registry refuses the instance as it is configured: fix what the reason names';
  }
}
