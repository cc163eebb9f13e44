import { type Clock, sleep } from '../core/clock.js';
import { ProximaError, toProximaError } from '../core/errors.js';
import type { RegistrarConfig } from './options.js';
import type { Session } from './session.js';

/**
 * The registry side of a drain: marks the session's instances DRAINING (those not already so),
 * waits `drainDelayMs`, deregisters them and revokes the lease. Each step is bounded by
 * `drainTimeoutMs`; a failed step is reported through `onError` (a lost lease is not a failure:
 * the registry already forgot everything) and the next one still runs.
 */
export async function drainSession(
  session: Session,
  config: Pick<RegistrarConfig, 'clock' | 'drainDelayMs' | 'drainTimeoutMs'>,
  onError: (error: ProximaError) => void,
): Promise<void> {
  const { registrations, lease } = session;
  const bounded = (step: (signal: AbortSignal) => Promise<unknown>): Promise<void> =>
    boundedStep(config.clock, config.drainTimeoutMs, step, onError);
  // An instance already marked DRAINING (a server's drain step did it) is not written again:
  // every write is a revision and an event for every watcher.
  const notYet = registrations.filter((r) => r.instance.status !== 'DRAINING');
  if (notYet.length > 0) {
    await bounded((signal) => Promise.all(notYet.map((r) => r.update({ status: 'DRAINING' }, { signal }))));
  }
  if (config.drainDelayMs > 0) await sleep(config.clock, config.drainDelayMs);
  await bounded((signal) => Promise.all(registrations.map((r) => r.deregister({ signal }))));
  await bounded((signal) => lease.revoke({ signal }));
}

/** Runs one drain step under the drain timeout; failures are reported, not thrown. */
async function boundedStep(
  clock: Clock,
  timeoutMs: number,
  step: (signal: AbortSignal) => Promise<unknown>,
  onError: (error: ProximaError) => void,
): Promise<void> {
  const { signal, dispose } = clockTimeout(clock, timeoutMs);
  try {
    await step(signal);
  } catch (error) {
    const e = toProximaError(error, 'UNAVAILABLE');
    if (e.code !== 'LEASE_LOST') onError(e);
  } finally {
    dispose();
  }
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
