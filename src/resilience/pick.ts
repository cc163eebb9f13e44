import type { PickContext, PickResult } from '../balancer/picker.js';
import { ErrorCode, ProximaError } from '../core/errors.js';
import { once } from '../core/event.js';
import { abortError } from './deadline.js';
import type { CallPolicy } from './policy.js';

/** A pick that is not `wait`. */
export type SettledPick = Exclude<PickResult, { kind: 'wait' }>;

/**
 * Picks from the current picker; on `wait` (no snapshot yet) waits for the next picker and picks
 * again, until something other than `wait` comes back or `signal` aborts (then rejects with the
 * abort's ProximaError). Callers take the synchronous `pick()` first and come here only on `wait`,
 * so the common path costs no promise.
 */
export async function waitForPick(
  policy: CallPolicy,
  context: PickContext | undefined,
  signal: AbortSignal,
): Promise<SettledPick> {
  for (;;) {
    if (policy.onPickerChange === undefined) {
      return { kind: 'fail', error: new ProximaError(ErrorCode.UNAVAILABLE, 'no endpoints known yet') };
    }
    try {
      await once(policy.onPickerChange, signal);
    } catch {
      throw abortError(signal);
    }
    const result = policy.getPicker().pick(context);
    if (result.kind !== 'wait') return result;
  }
}

/** Picks, waiting if needed (see {@link waitForPick}). */
export function pickSettled(
  policy: CallPolicy,
  context: PickContext | undefined,
  signal: AbortSignal,
): SettledPick | Promise<SettledPick> {
  const result = policy.getPicker().pick(context);
  return result.kind === 'wait' ? waitForPick(policy, context, signal) : result;
}
