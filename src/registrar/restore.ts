import { toProximaError } from '../core/errors.js';
import type { Instance } from '../core/instance.js';
import type { RegistrarEmitters } from './emitters.js';
import type { InstanceLossEvent } from './events.js';
import type { RegistrarConfig } from './options.js';
import type { Refusals } from './refusals.js';
import { instanceKey, missingRegistrations, type Session } from './session.js';

/** What {@link restoreMissing} works with. */
export interface RestoreDeps {
  readonly config: Pick<RegistrarConfig, 'registry' | 'logger'>;
  /** The instances as they should be registered now (updates applied; read at each restore). */
  desired(): readonly Instance[];
  readonly stop: AbortSignal;
  readonly refusals: Refusals;
  readonly emit: RegistrarEmitters;
}

/**
 * Registers again, under the same lease, every instance the last keep-alive says the lease no
 * longer holds. A refusal is loud (error log, `onInstanceLost`, `refused`, `explain()`) and retried
 * at the next keep-alive; a lost lease is thrown, so the keep-alive loop re-registers everything.
 */
export async function restoreMissing(session: Session, deps: RestoreDeps): Promise<void> {
  const { config, desired, stop, refusals, emit } = deps;
  const missing = missingRegistrations(session);
  if (missing.length === 0) {
    refusals.clear();
    return;
  }
  const { registry, logger } = config;
  for (const old of missing) {
    const key = instanceKey(old.instance);
    const instance = desired().find((i) => instanceKey(i) === key) ?? old.instance;
    try {
      const registration = await registry.register(instance, { lease: session.lease, signal: stop });
      session.registrations = session.registrations.map((r) => (r === old ? registration : r));
      refusals.delete(key);
      logger.warn(
        { instance: key },
        'registrar: instance was removed from the registry; registered it again',
      );
      emit.instanceLost.emit({ instance, restored: true });
    } catch (error) {
      const e = toProximaError(error, 'UNAVAILABLE');
      if (e.code === 'LEASE_LOST' || stop.aborted) throw e;
      if (e.retryable) {
        emit.error({ phase: 'restore', error: e });
        continue;
      }
      const first = refusals.note(instance, e, 'restore');
      if (!first) continue;
      logger.error(
        { instance: key, code: e.code, err: e.message },
        'registrar: instance was removed from the registry and the registry refuses to take it back',
      );
      const event: InstanceLossEvent = { instance, restored: false, error: e };
      emit.instanceLost.emit(event);
      emit.errors.emit({ phase: 'restore', error: e });
    }
  }
}
