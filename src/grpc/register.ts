import { experimental } from '@grpc/grpc-js';
import { z } from 'zod';
import type { Locality } from '../core/locality.js';
import type { Discoverer } from '../discovery/discoverer.js';
import { RoutingSource, type RoutingSourceOptions } from '../http/routing-source.js';
import type { RoutingTable } from '../routing/explain.js';
import { PROXIMA_LB_POLICY, ProximaLbConfig, ProximaLoadBalancer } from './load-balancer.js';
import { ResolverBinding, resolverClass } from './resolver.js';

/** Options of {@link registerProximaResolver}: where endpoints come from, and the scheme to answer. */
export interface ProximaResolverOptions extends RoutingSourceOptions {
  /** The URI scheme resolved through Proxima (default `proxima`: targets `proxima:///service`). */
  readonly scheme?: string;
}

/** A live resolver registration. Dispose it to stop its watches and fail its channels. */
export interface ProximaResolverRegistration extends AsyncDisposable {
  /** The scheme it answers, e.g. `proxima`. */
  readonly scheme: string;
  /** Where this caller runs: routing prefers instances near it. */
  readonly locality: Locality;
  /** The discoverer behind it (shared with other Proxima parts when one was given). */
  readonly discoverer: Discoverer;
  /** `${scheme}:///${service}`: the target to give grpc-js. */
  target(service: string): string;
  /** The live routing table of `service` while a channel uses it; undefined otherwise. */
  explain(service: string): RoutingTable | undefined;
  /**
   * Stops watches and probes and closes the registry when it was opened here. Channels on this
   * scheme then fail with UNAVAILABLE; grpc-js cannot unregister a scheme, so a later registration
   * for the same scheme simply takes over.
   */
  close(): Promise<void>;
}

const schemeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9+.-]*$/, 'a URI scheme: lower-case letters, digits, "+", "." or "-"')
  .optional();

/**
 * Makes grpc-js resolve `proxima:///service` through Proxima: the resolver watches the service's
 * instances registered with protocol `grpc`, and the `proxima` load-balancing policy it selects
 * sends each call to the nearest healthy, least-loaded instance (locality tiers, spill, panic,
 * peak-EWMA), reporting every call's status and latency back to the endpoint's statistics.
 *
 * Registration is explicit (no side effect on import). Any stock grpc-js client works, generated
 * or not; the channel needs no options.
 *
 * @example
 * ```ts
 * import * as grpc from '@grpc/grpc-js';
 * import { registerProximaResolver } from '@proxima-rpc/proxima/grpc';
 *
 * await using proxima = await registerProximaResolver({
 *   registry: 'http://127.0.0.1:7070',
 *   locality: { region: 'eu-west', zone: 'eu-west-1a' },
 * });
 * const client = new UsersClient('proxima:///users', grpc.credentials.createInsecure());
 * ```
 */
export async function registerProximaResolver(
  options: ProximaResolverOptions,
): Promise<ProximaResolverRegistration> {
  const source = await RoutingSource.open(options, 'grpc', { scheme: schemeSchema });
  const scheme = options.scheme ?? 'proxima';
  const binding = new ResolverBinding(source);
  experimental.registerLoadBalancerType(PROXIMA_LB_POLICY, ProximaLoadBalancer, ProximaLbConfig);
  experimental.registerResolver(scheme, resolverClass(binding));
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      binding.dispose(`the proxima resolver for ${scheme}: was closed`);
      await source.close();
    })();
    return closing;
  };
  return {
    scheme,
    locality: source.locality,
    discoverer: source.discoverer,
    target: (service) => `${scheme}:///${service}`,
    explain: (service) => source.peek(service, 'grpc')?.router.explain(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
