/**
 * The agent-side check's state: healthy until `unhealthyAfter` misses in a row, then unhealthy
 * until `healthyAfter` passes in a row (3 and 2 by default: one slow answer does not take an
 * instance out, one lucky one does not put it back).
 */
export type CheckState =
  | { readonly kind: 'healthy'; readonly misses: number }
  | { readonly kind: 'unhealthy'; readonly passes: number };

export interface CheckThresholds {
  readonly unhealthyAfter: number;
  readonly healthyAfter: number;
}

export const INITIAL_CHECK_STATE: CheckState = { kind: 'healthy', misses: 0 };

/** The state after one check result; `kind` changes exactly when the instance should flip. */
export function nextCheckState(state: CheckState, passed: boolean, t: CheckThresholds): CheckState {
  if (state.kind === 'healthy') {
    if (passed) return state.misses === 0 ? state : { kind: 'healthy', misses: 0 };
    const misses = state.misses + 1;
    return misses >= t.unhealthyAfter ? { kind: 'unhealthy', passes: 0 } : { kind: 'healthy', misses };
  }
  if (!passed) return state.passes === 0 ? state : { kind: 'unhealthy', passes: 0 };
  const passes = state.passes + 1;
  return passes >= t.healthyAfter ? { kind: 'healthy', misses: 0 } : { kind: 'unhealthy', passes };
}
