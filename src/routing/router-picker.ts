import { ProximaError } from '../core/errors.js';
import type { Random } from '../core/random.js';
import type { PickContext, Picker, PickResult } from '../balancer/picker.js';

/**
 * The router's immutable picker: draws a route by share, asks that route's balancer picker, and
 * fails over to the other routes in distance order when the route has nothing usable (everything
 * excluded by the call or gone unavailable since the build).
 */
export class RouterPicker implements Picker {
  private readonly cumulative: Float64Array;
  private readonly single: Picker | undefined;
  private readonly fail: PickResult;

  /**
   * `pickers[i]` takes `shares[i]` of the traffic (shares sum to ~1); `fallback` lists every
   * picker in the order to try when the drawn one cannot serve the call.
   */
  constructor(
    private readonly pickers: readonly Picker[],
    shares: readonly number[],
    private readonly fallback: readonly Picker[],
    private readonly random: Random,
    service: string,
  ) {
    let total = 0;
    this.cumulative = Float64Array.from(shares, (s) => (total += s));
    const carrying = shares.filter((s) => s > 0).length;
    this.single = carrying === 1 ? pickers[shares.findIndex((s) => s > 0)] : undefined;
    this.fail = {
      kind: 'fail',
      error: new ProximaError('NO_ENDPOINTS', `no usable endpoint for service ${service}`),
    };
  }

  pick(context?: PickContext): PickResult {
    let first = this.single;
    if (first === undefined && this.pickers.length > 0) {
      const cumulative = this.cumulative;
      const x = this.random() * cumulative[cumulative.length - 1]!;
      let i = 0;
      while (i < cumulative.length - 1 && cumulative[i]! <= x) i++;
      first = this.pickers[i];
    }
    if (first !== undefined) {
      const result = first.pick(context);
      if (result.kind === 'ok') return result;
    }
    for (const picker of this.fallback) {
      if (picker === first) continue;
      const result = picker.pick(context);
      if (result.kind === 'ok') return result;
    }
    return this.fail;
  }
}

/** The picker before the first snapshot: every pick waits. */
export const WAITING_PICKER: Picker = { pick: () => ({ kind: 'wait' }) };
