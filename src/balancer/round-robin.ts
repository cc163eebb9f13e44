import type { EndpointStats } from '../health/endpoint-stats.js';
import type { Balancer, BalancerDeps } from './balancer.js';
import { noEndpoints, scanFrom, usable } from './pick-support.js';
import type { PickContext, Picker, PickResult } from './picker.js';

/**
 * Plain round robin, starting at a random offset so that many callers built at the same moment do
 * not march in step (grpc-js does the same).
 */
export function roundRobinBalancer(deps: BalancerDeps): Balancer {
  return {
    name: 'round-robin',
    build: (endpoints, build) => new RoundRobinPicker(endpoints, deps, build?.panic ?? false),
  };
}

class RoundRobinPicker implements Picker {
  private readonly endpoints: readonly EndpointStats[];
  private next: number;
  private readonly fail = noEndpoints();

  constructor(
    endpoints: readonly EndpointStats[],
    deps: BalancerDeps,
    private readonly panic: boolean,
  ) {
    this.endpoints = endpoints.slice();
    this.next = (deps.random() * this.endpoints.length) | 0;
  }

  pick(context?: PickContext): PickResult {
    const n = this.endpoints.length;
    if (n === 0) return this.fail;
    const i = this.next;
    this.next = i + 1 === n ? 0 : i + 1;
    const s = this.endpoints[i]!;
    if (usable(s, context, this.panic)) return s.start();
    return scanFrom(this.endpoints, i + 1, context, this.panic) ?? this.fail;
  }
}
