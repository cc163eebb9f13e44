import type { PickContext, PickResult } from '../balancer/picker.js';
import { ErrorCode, ProximaError } from '../core/errors.js';
import { once } from '../core/event.js';
import { abortError, CallSignal, type Deadline } from './deadline.js';
import type { CallPolicy } from './policy.js';

/** A pick that is not `wait`. */
export type SettledPick = Exclude<PickResult, { kind: 'wait' }>;

/**
 * The slow path after a `wait` pick (no snapshot yet): waits for the next picker and picks again,
 * until something other than `wait` comes back, or rejects when `signal` aborts or `deadline`
 * passes. Callers take the synchronous `pick()` first and come here only on `wait`, so the common
 * path costs no promise and no timer.
 */
export async function waitForPick(
  policy: CallPolicy,
  context: PickContext | undefined,
  signal: AbortSignal | undefined,
  deadline: Deadline | undefined,
): Promise<SettledPick> {
  const changed = policy.onPickerChange;
  if (changed === undefined) {
    return { kind: 'fail', error: new ProximaError(ErrorCode.UNAVAILABLE, 'no endpoints known yet') };
  }
  const scope = new CallSignal(deadline, signal);
  try {
    for (;;) {
      try {
        await once(changed, scope.signal);
      } catch {
        throw abortError(scope.signal);
      }
      const result = policy.getPicker().pick(context);
      if (result.kind !== 'wait') return result;
    }
  } finally {
    scope[Symbol.dispose]();
  }
}
