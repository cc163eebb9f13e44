import type { PickContext, PickResult } from '../balancer/picker.js';
import { isProximaError, ProximaError, toProximaError } from '../core/errors.js';
import { abortError, type Deadline } from './deadline.js';
import { chargeBudget, outcomeOf } from './outcome.js';
import { waitForPick } from './pick.js';
import type { Attempt, BroadcastReply, CallPolicy } from './policy.js';

/** Fan-out bound, in case a picker ignores `exclude` and keeps handing out new ids. */
const MAX_FANOUT = 10_000;

type OkPick = Extract<PickResult, { kind: 'ok' }>;

/**
 * The `broadcast` fail mode: one attempt on every instance the picker will give out (picking with
 * `exclude` until it has nothing new), all at once, no retries. Every attempt runs to its end even
 * when another failed — a broadcast (cache invalidation, config push) should reach everyone it
 * can — and then the call fails if any attempt failed, naming how many.
 */
export async function runBroadcast<T>(
  policy: CallPolicy,
  attempt: Attempt<T>,
  signal: AbortSignal | undefined,
  deadline: Deadline | undefined,
  hashKey: string | undefined,
): Promise<ReadonlyArray<BroadcastReply<T>>> {
  const tried = new Set<string>();
  const context: PickContext = { hashKey, exclude: tried };
  let first = policy.getPicker().pick(context);
  if (first.kind === 'wait') first = await waitForPick(policy, context, signal, deadline);
  if (first.kind === 'fail') throw first.error;
  const picks: OkPick[] = [first];
  tried.add(first.endpoint.id);
  while (picks.length < MAX_FANOUT) {
    const next = policy.getPicker().pick(context);
    if (next.kind !== 'ok') break;
    if (tried.has(next.endpoint.id)) {
      next.tracker.done('cancelled', 0);
      break;
    }
    tried.add(next.endpoint.id);
    picks.push(next);
  }

  const outcomes = await Promise.all(
    picks.map(async (pick, index): Promise<BroadcastReply<T> | ProximaError> => {
      const start = policy.clock.now();
      try {
        const value = await attempt(pick.endpoint, { signal, attempt: index + 1, deadline });
        const latency = policy.clock.now() - start;
        pick.tracker.done('success', latency);
        policy.budget.recordSuccess();
        policy.observer?.attemptEnded(pick.endpoint, index + 1, undefined, latency);
        return { endpoint: pick.endpoint, value };
      } catch (thrown) {
        const error = toProximaError(thrown);
        const kind = outcomeOf(error, signal);
        const latency = policy.clock.now() - start;
        pick.tracker.done(kind, latency);
        chargeBudget(policy.budget, kind, error);
        policy.observer?.attemptEnded(pick.endpoint, index + 1, error, latency);
        return error;
      }
    }),
  );

  if (signal?.aborted) throw abortError(signal);
  const errors = outcomes.filter(isProximaError);
  const firstError = errors[0];
  if (firstError === undefined) return outcomes as BroadcastReply<T>[];
  throw new ProximaError(
    firstError.code,
    `broadcast: ${errors.length} of ${picks.length} endpoints failed; first: ${firstError.message}`,
    { cause: new AggregateError(errors), retryable: false },
  );
}
