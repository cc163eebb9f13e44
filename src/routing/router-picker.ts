import { ProximaError } from '../core/errors.js';
import type { Random } from '../core/random.js';
import type { PickContext, Picker, PickResult } from '../balancer/picker.js';
import type { RouteMember } from './plan.js';

/** A route is left by a retry once the call tried this many of its endpoints without success. */
const TRIES_BEFORE_LEAVING = 2;

/**
 * The router's immutable picker: draws a route by share, asks that route's balancer picker, and
 * fails over to the other routes in distance order when the route has nothing usable (everything
 * excluded by the call or gone unavailable since the build).
 *
 * A retry (a pick whose context excludes endpoints the call already tried) first leaves the routes
 * that failed it — Envoy's `previous_priorities` retry plugin, narrowed to failures: a route where
 * a tried endpoint now carries a strike (it failed, timed out, refused the connection), or where
 * the call already tried {@link TRIES_BEFORE_LEAVING} endpoints. A dead zone then costs a call one
 * attempt, not all of them, while a retry after a graceful refusal (GOAWAY, draining) and a hedge
 * whose first attempt is still running stay near. The retry draws among the remaining routes by
 * share, else takes the nearest of them; only when none can serve does it go back to the routes
 * it left.
 */
export class RouterPicker implements Picker {
  private readonly cumulative: Float64Array;
  private readonly single: Picker | undefined;
  private readonly fail: PickResult;

  /**
   * `pickers[i]` takes `shares[i]` of the traffic (shares sum to ~1); `fallback` lists the indices
   * of every picker in the order to try when the drawn one cannot serve the call; `members` maps
   * endpoint ids to their route index (for retries).
   */
  constructor(
    private readonly pickers: readonly Picker[],
    private readonly shares: readonly number[],
    private readonly fallback: readonly number[],
    private readonly members: ReadonlyMap<string, RouteMember>,
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
    if (context?.exclude !== undefined && context.exclude.size > 0) {
      const left = this.pickLeaving(context, context.exclude);
      if (left !== undefined) return left;
    }
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
    for (const i of this.fallback) {
      const picker = this.pickers[i]!;
      if (picker === first) continue;
      const result = picker.pick(context);
      if (result.kind === 'ok') return result;
    }
    return this.fail;
  }

  /**
   * The retry path: an `ok` pick outside the routes that failed this call, or undefined when it
   * left none or none of the others can serve it.
   */
  private pickLeaving(context: PickContext, exclude: ReadonlySet<string>): PickResult | undefined {
    const n = this.pickers.length;
    const tries = new Array<number>(n).fill(0);
    const leave = new Array<boolean>(n).fill(false);
    let leaving = false;
    for (const id of exclude) {
      const member = this.members.get(id);
      if (member === undefined) continue;
      const r = member.route;
      tries[r]!++;
      if (member.stats.consecutiveFailures > 0 || tries[r]! >= TRIES_BEFORE_LEAVING) {
        leaving ||= !leave[r];
        leave[r] = true;
      }
    }
    if (!leaving || leave.every(Boolean)) return undefined;
    let total = 0;
    for (let i = 0; i < n; i++) if (!leave[i]) total += this.shares[i]!;
    let drawn = -1;
    if (total > 0) {
      let x = this.random() * total;
      for (let i = 0; i < n; i++) {
        if (leave[i] || this.shares[i]! <= 0) continue;
        drawn = i;
        x -= this.shares[i]!;
        if (x < 0) break;
      }
      const result = this.pickers[drawn]!.pick(context);
      if (result.kind === 'ok') return result;
    }
    for (const i of this.fallback) {
      if (leave[i] || i === drawn) continue;
      const result = this.pickers[i]!.pick(context);
      if (result.kind === 'ok') return result;
    }
    return undefined;
  }
}

/** The picker before the first snapshot: every pick waits. */
export const WAITING_PICKER: Picker = { pick: () => ({ kind: 'wait' }) };
