import type { Clock } from '../core/clock.js';
import type { Random } from '../core/random.js';
import type { EndpointStats } from '../health/endpoint-stats.js';
import type { Picker } from './picker.js';

/** What every balancer draws on: time and randomness are injected, so simulations are repeatable. */
export interface BalancerDeps {
  readonly clock: Clock;
  readonly random: Random;
}

/**
 * A balancer turns a list of endpoint statistics into an immutable {@link Picker} (grpc-js's
 * shape). The list is what the router decided is eligible (one tier, healthy or — in panic — all);
 * the picker still skips an endpoint that became unavailable or is in the call's `exclude` set.
 *
 * A balancer object lives as long as its router and may build many pickers.
 */
export interface Balancer {
  readonly name: string;
  build(endpoints: readonly EndpointStats[], options?: BuildOptions): Picker;
}

/** How a picker treats health. */
export interface BuildOptions {
  /**
   * Panic: pick among all endpoints, ejected or with open breakers included (Envoy's panic
   * routing, when too few are healthy for health to be trusted). `exclude` still applies.
   */
  readonly panic?: boolean;
}
