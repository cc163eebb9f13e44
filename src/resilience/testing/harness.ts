import { FakeClock } from '../../core/testing/fake-clock.js';
import { seededRandom } from '../../core/random.js';
import { callPolicy } from '../call-policy.js';
import type { CallPolicyInput, FailMode } from '../policy.js';
import { endpoint, FakePicker, ScriptedAttempts, type Behaviour } from './fakes.js';

/** Four endpoints a..d on ports 9000..9003. */
export const ENDPOINTS = ['a', 'b', 'c', 'd'].map((id, i) => endpoint(id, 9000 + i));

/** A fake clock, a round-robin picker over {@link ENDPOINTS}, scripted attempts and a policy. */
export function setup<M extends FailMode = 'failover'>(
  script: (id: string, n: number) => Behaviour<string>,
  input: Partial<CallPolicyInput<M>> = {},
) {
  const clock = new FakeClock();
  const picker = new FakePicker(ENDPOINTS);
  const attempts = new ScriptedAttempts(clock, script);
  const policy = callPolicy<M>({
    getPicker: () => picker,
    clock,
    random: seededRandom(1),
    idempotent: true,
    ...input,
  });
  return { clock, picker, attempts, policy };
}

/** What a settled call gave: a value or an error with a code. */
export interface Settled<T> {
  readonly value: T | undefined;
  readonly error: { readonly code?: string; readonly message: string } | undefined;
}

/** Lets `promise` run to its end on the fake clock (moving time by `ms`) and returns how it ended. */
export async function settle<T>(clock: FakeClock, promise: Promise<T>, ms = 60_000): Promise<Settled<T>> {
  const result = promise.then(
    (value): Settled<T> => ({ value, error: undefined }),
    (error: unknown): Settled<T> => ({ value: undefined, error: error as Settled<T>['error'] }),
  );
  await clock.advance(ms);
  return result;
}
