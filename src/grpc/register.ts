import { experimental, type Interceptor } from '@grpc/grpc-js';
import { lazySchema, preloadZod, zod } from '../core/zod.js';
import type { Locality } from '../core/locality.js';
import type { Discoverer } from '../discovery/discoverer.js';
import { RoutingSource, type RoutingSourceOptions } from '../http/routing-source.js';
import { resolveOpenTelemetry, type OpenTelemetrySetting, type Otel } from '../observability/otel/load.js';
import type { RoutingTable } from '../routing/explain.js';
import { PROXIMA_LB_POLICY, ProximaLbConfig, ProximaLoadBalancer } from './load-balancer.js';
import { openTelemetryClientInterceptor } from './otel.js';
import { ResolverBinding, resolverClass } from './resolver.js';

/** Options of {@link registerProximaResolver}: where endpoints come from, and the scheme to answer. */
export interface ProximaResolverOptions extends RoutingSourceOptions {
  /** The URI scheme resolved through Proxima (default `proxima`: targets `proxima:///service`). */
  readonly scheme?: string;
  /**
   * OpenTelemetry CLIENT spans for calls made with {@link ProximaResolverRegistration.interceptors}
   * (see docs/grpc.md). Default: on when `@opentelemetry/api` is installed and an SDK registered a
   * global tracer provider before the registration; `true` fails without the package; `false` is off.
   */
  readonly openTelemetry?: OpenTelemetrySetting;
}

/** A live resolver registration. Dispose it to stop its watches and fail its channels. */
export interface ProximaResolverRegistration extends AsyncDisposable {
  /** The scheme it answers, e.g. `proxima`. */
  readonly scheme: string;
  /** Where this caller runs: routing prefers instances near it. */
  readonly locality: Locality;
  /** The discoverer behind it (shared with other Proxima parts when one was given). */
  readonly discoverer: Discoverer;
  /**
   * Client interceptors to give the clients of this scheme's targets (`{ interceptors }` in the
   * client's options): with OpenTelemetry on, one that runs each call in a CLIENT span under the
   * active context, injects it into the call's metadata, and records where Proxima routed the call;
   * empty when OpenTelemetry is off.
   */
  readonly interceptors: readonly Interceptor[];
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

const schemeSchema = lazySchema((z) =>
  z
    .string()
    .regex(/^[a-z][a-z0-9+.-]*$/, 'a URI scheme: lower-case letters, digits, "+", "." or "-"')
    .optional(),
);

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
  await preloadZod(); // before the first schema: the application's copy of zod, if it has one
  const z = zod();
  const source = await RoutingSource.open(options, 'grpc', {
    scheme: schemeSchema(),
    openTelemetry: z.union([z.boolean(), z.object({}).passthrough()]).optional(),
  });
  const scheme = options.scheme ?? 'proxima';
  const binding = new ResolverBinding(source);
  let otel: Otel | undefined;
  try {
    otel = await resolveOpenTelemetry(options.openTelemetry, 'grpc.openTelemetry');
  } catch (error) {
    await source.close();
    throw error;
  }
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
    interceptors:
      otel === undefined ? [] : [openTelemetryClientInterceptor(otel, source.locality, binding.picks)],
    target: (service) => `${scheme}:///${service}`,
    explain: (service) => source.peek(service, 'grpc')?.router.explain(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
