import { type ProximaError, toProximaError } from '../core/errors.js';
import type { Instance } from '../core/instance.js';
import type { RegistrationBreaker } from './breaker.js';
import type { RegistrarEmitters } from './emitters.js';
import type { RegistrarConfig } from './options.js';
import { isRefusal, type Refusals } from './refusals.js';
import { retryUntilDone } from './retry.js';
import { instanceKey, openSession, registerAll, type Session } from './session.js';

/**
 * A first registration the registry refuses outright (bad input, bad token, no right, an id
 * another identity holds) is a configuration error: it fails the start instead of retrying forever.
 */
const FATAL_AT_START: ReadonlySet<string> = new Set([
  'INVALID_ARGUMENT',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'ALREADY_EXISTS',
]);

/** What {@link establishSession} reads from the registrar, live (updates race with it). */
export interface EstablishDeps {
  readonly config: Pick<RegistrarConfig, 'registry' | 'ttlMs' | 'clock' | 'random' | 'retry' | 'logger'>;
  readonly breaker: RegistrationBreaker;
  readonly stop: AbortSignal;
  readonly refusals: Refusals;
  readonly emit: RegistrarEmitters;
  /** The instances as they should be registered now. */
  desired(): readonly Instance[];
  /** Bumped by every update. */
  desiredVersion(): number;
  /** Whether the registrar was ever registered (a refusal then no longer fails the start). */
  everRegistered(): boolean;
  /** The breaker's state may have changed. */
  onBreaker(): void;
}

/**
 * Grants a lease and registers every instance under it, retried with full-jitter backoff behind
 * the registration breaker until it works or `stop` aborts (then undefined); a session opened
 * while an update ran registers again, so it carries the update. A registration the registry
 * refuses (409, 403, 401, …) is recorded in `refusals` against its instance — with an error log
 * the first time in a row — so `refused` and `explain()` show it until a registration succeeds.
 */
export function establishSession(deps: EstablishDeps): Promise<Session | undefined> {
  const { config, refusals, stop } = deps;
  const { registry, ttlMs, clock, random, retry, logger } = config;

  /** Records a refusal (not a failure to answer); true when it was one. */
  const noteRefusal = (instance: Instance, error: unknown): boolean => {
    const e = toProximaError(error, 'UNAVAILABLE');
    if (stop.aborted || !isRefusal(e)) return false;
    if (!refusals.note(instance, e, 'register')) return true;
    logger.error(
      { instance: instanceKey(instance), code: e.code, err: e.message },
      'registrar: the registry refuses to register the instance',
    );
    return true;
  };

  return retryUntilDone(
    async (signal) => {
      const version = deps.desiredVersion();
      let pinned = false;
      const onFailed = (instance: Instance, error: unknown): void => {
        pinned = noteRefusal(instance, error) || pinned;
      };
      try {
        const session = await openSession(registry, deps.desired(), ttlMs, signal, onFailed);
        if (version !== deps.desiredVersion()) {
          session.registrations = await registerAll(
            registry,
            session.lease,
            deps.desired(),
            signal,
            onFailed,
          );
        }
        return session;
      } catch (error) {
        // Refused before any instance was tried (the grant: a bad token, no right to a lease):
        // every instance is refused.
        if (!pinned) for (const instance of deps.desired()) noteRefusal(instance, error);
        throw error;
      }
    },
    {
      clock,
      random,
      backoff: retry,
      breaker: deps.breaker,
      stop,
      isFatal: (e: ProximaError) => FATAL_AT_START.has(e.code) && !deps.everRegistered(),
      onFailure: (error, attempt, retryInMs) =>
        deps.emit.error({ phase: 'register', error, attempt, retryInMs }),
      onBreaker: () => deps.onBreaker(),
    },
  );
}
