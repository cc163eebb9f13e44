import type { Clock } from '../core/clock.js';
import { type ProximaError, toProximaError } from '../core/errors.js';
import type { Instance } from '../core/instance.js';
import type { Lease, Registration, Registry } from '../registry/registry.js';

/** One lease and the registrations made under it: what the registrar holds while registered. */
export interface Session {
  readonly lease: Lease;
  registrations: Registration[];
}

/**
 * Grants one lease and registers every instance under it. If any step fails the lease is revoked
 * (best effort) so no half-registered set lingers until its TTL.
 */
export async function openSession(
  registry: Registry,
  instances: readonly Instance[],
  ttlMs: number,
  signal: AbortSignal,
  onFailed?: (instance: Instance, error: unknown) => void,
): Promise<Session> {
  const lease = await registry.grant({ ttlMs, signal });
  try {
    return { lease, registrations: await registerAll(registry, lease, instances, signal, onFailed) };
  } catch (error) {
    await lease.revoke().catch(() => undefined);
    throw error;
  }
}

/**
 * Registers (or replaces) every instance under `lease`; rejects with the first failure, after
 * telling `onFailed` of each instance that failed (so a refusal can be pinned on its instance).
 */
export function registerAll(
  registry: Registry,
  lease: Lease,
  instances: readonly Instance[],
  signal: AbortSignal,
  onFailed?: (instance: Instance, error: unknown) => void,
): Promise<Registration[]> {
  return Promise.all(
    instances.map((instance) =>
      registry.register(instance, { lease, signal }).catch((error: unknown) => {
        onFailed?.(instance, error);
        throw error;
      }),
    ),
  );
}

/**
 * Keeps the session's lease alive every TTL/3 until `stop` aborts (returns undefined) or the lease
 * is lost (returns the LEASE_LOST error), calling `onKept` after each renewal: a keep-alive answered LEASE_LOST, or the backend aborted
 * `lease.lost` on its own, which wakes the loop at once. Other failures (UNAVAILABLE) are reported
 * through `onError` and the next keep-alive goes at the usual time: the lease still has two more
 * chances before its TTL runs out, and if it does run out the registry answers LEASE_LOST later.
 */
export async function keepSessionAlive(
  session: Session,
  clock: Clock,
  stop: AbortSignal,
  onError: (error: ProximaError) => void,
  onKept: () => Promise<void> = () => Promise.resolve(),
): Promise<ProximaError | undefined> {
  const { lease } = session;
  const interval = lease.ttlMs / 3;
  for (;;) {
    await nap(clock, interval, stop, lease.lost);
    if (stop.aborted) return undefined;
    if (lease.lost.aborted) return toProximaError(lease.lost.reason, 'LEASE_LOST');
    try {
      await lease.keepAlive({ signal: stop });
      await onKept();
    } catch (error) {
      if (stop.aborted) return undefined;
      const e = toProximaError(error, 'UNAVAILABLE');
      if (e.code === 'LEASE_LOST') return e;
      onError(e);
    }
  }
}

/**
 * Resolves after `ms`, or as soon as either signal aborts. (Not `AbortSignal.any`: a registrar
 * naps every TTL/3 for the life of the process, and each `any` would register one more dependent
 * signal on `stop`.)
 */
function nap(clock: Clock, ms: number, a: AbortSignal, b: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (a.aborted || b.aborted) {
      resolve();
      return;
    }
    const wake = (): void => {
      clock.clearTimeout(timer);
      a.removeEventListener('abort', wake);
      b.removeEventListener('abort', wake);
      resolve();
    };
    const timer = clock.setTimeout(wake, ms);
    a.addEventListener('abort', wake, { once: true });
    b.addEventListener('abort', wake, { once: true });
  });
}

/** `service/id`, as {@link Lease.held} names an instance. */
export function instanceKey(instance: Pick<Instance, 'service' | 'id'>): string {
  return `${instance.service}/${instance.id}`;
}

/**
 * The registrations of a session that its lease no longer holds, by the last keep-alive's answer
 * (someone deregistered or replaced them). Empty when the backend cannot tell.
 */
export function missingRegistrations(session: Session): Registration[] {
  const held = session.lease.held;
  if (held === undefined) return [];
  return session.registrations.filter((r) => !held.has(instanceKey(r.instance)));
}
