import { experimental, Metadata, status, type ChannelOptions, type ServiceConfig } from '@grpc/grpc-js';
import type { Instance } from '../core/instance.js';
import { serviceNameSchema, splitAddress } from '../core/instance.js';
import { parseWith } from '../core/validate.js';
import type { RoutesLease, RoutingSource } from '../http/routing-source.js';
import { RESOLVED_ATTRIBUTE, ResolvedService } from './attributes.js';
import { PickNotes } from './pick-notes.js';
import { PROXIMA_LB_POLICY } from './load-balancer.js';

/** grpc-js's resolver class shape (not exported by name). */
export type ResolverConstructor = Parameters<typeof experimental.registerResolver>[1];

/** The service config of a channel without one of its own: it selects the `proxima` LB policy. */
const SERVICE_CONFIG = experimental.statusOrFromValue<ServiceConfig>({
  loadBalancingConfig: [{ [PROXIMA_LB_POLICY]: {} }],
  methodConfig: [],
});

/**
 * The service config a resolution carries: the channel's own `grpc.service_config` (method configs
 * with their `retryPolicy` / `hedgingPolicy` / timeouts, `retryThrottling`, …) with the LB policy
 * set to `proxima`. A resolver's config replaces the channel's default in grpc-js, so without the
 * merge a user's retry policy would silently vanish. A config grpc-js cannot parse is refused by
 * grpc-js itself when the channel is built; here it is ignored.
 */
export function serviceConfigFor(
  options: ChannelOptions,
): ReturnType<typeof experimental.statusOrFromValue<ServiceConfig>> {
  const raw: unknown = options['grpc.service_config'];
  if (typeof raw !== 'string' || raw.trim() === '') return SERVICE_CONFIG;
  let user: unknown;
  try {
    user = JSON.parse(raw);
  } catch {
    return SERVICE_CONFIG;
  }
  if (typeof user !== 'object' || user === null || Array.isArray(user)) return SERVICE_CONFIG;
  const { loadBalancingPolicy: _policy, ...rest } = user as ServiceConfig;
  return experimental.statusOrFromValue<ServiceConfig>({
    ...rest,
    methodConfig: rest.methodConfig ?? [],
    loadBalancingConfig: [{ [PROXIMA_LB_POLICY]: {} }],
  });
}

/**
 * The service a target names: `proxima:///users` (or `proxima:users`) → `users`. Throws
 * INVALID_ARGUMENT `target` for anything that is not a service name, so `new grpc.Client(…)` fails
 * at construction rather than on the first call.
 */
export function serviceOfTarget(target: experimental.GrpcUri): string {
  return parseWith(serviceNameSchema(), target.path, 'target');
}

/**
 * The live side of a resolver registration: which routing source resolvers read, and whether the
 * registration was disposed. Shared by every resolver the registered class creates.
 */
export class ResolverBinding {
  private readonly live = new Set<ProximaResolver>();
  private disposedReason: string | undefined;
  /** Where this registration's pickers tell traced calls which endpoint they chose. */
  readonly picks = new PickNotes();

  constructor(readonly source: RoutingSource) {}

  get disposed(): string | undefined {
    return this.disposedReason;
  }

  add(resolver: ProximaResolver): void {
    this.live.add(resolver);
  }

  delete(resolver: ProximaResolver): void {
    this.live.delete(resolver);
  }

  /** Fails every live resolver with `reason`; resolvers created later fail at once. */
  dispose(reason: string): void {
    this.disposedReason = reason;
    for (const resolver of [...this.live]) resolver.fail(reason);
  }
}

/** The resolver class registered for the binding's scheme (grpc-js constructs it per channel). */
export function resolverClass(binding: ResolverBinding): ResolverConstructor {
  return class BoundProximaResolver extends ProximaResolver {
    constructor(
      target: experimental.GrpcUri,
      listener: experimental.ResolverListener,
      options: ChannelOptions,
    ) {
      super(binding, target, listener, options);
    }

    static getDefaultAuthority(target: experimental.GrpcUri): string {
      return serviceOfTarget(target);
    }
  };
}

/**
 * Resolves `proxima:///service` for one channel: holds the service's shared routes while the
 * channel needs them and reports every change of the gRPC instances to grpc-js, with the service
 * config that selects the `proxima` LB policy and the routes attached for it. Watch-driven: a
 * re-resolution request only repeats the current list.
 */
export class ProximaResolver implements experimental.Resolver {
  private readonly service: string;
  private lease: RoutesLease | undefined;
  private changed: Disposable | undefined;
  private reportQueued = false;
  private readonly serviceConfig: ReturnType<typeof serviceConfigFor>;

  constructor(
    private readonly binding: ResolverBinding,
    target: experimental.GrpcUri,
    private readonly listener: experimental.ResolverListener,
    options: ChannelOptions,
  ) {
    this.service = serviceOfTarget(target);
    this.serviceConfig = serviceConfigFor(options);
  }

  updateResolution(): void {
    if (this.binding.disposed !== undefined) {
      this.fail(this.binding.disposed);
      return;
    }
    if (this.lease === undefined) {
      this.lease = this.binding.source.acquire(this.service, 'grpc');
      this.binding.add(this);
      this.changed = this.lease.routes.changed(() => this.scheduleReport());
    }
    this.scheduleReport();
  }

  destroy(): void {
    this.changed?.[Symbol.dispose]();
    this.changed = undefined;
    this.lease?.[Symbol.dispose]();
    this.lease = undefined;
    this.binding.delete(this);
  }

  /** Releases the routes and reports `reason` as UNAVAILABLE (asynchronously, as grpc-js requires). */
  fail(reason: string): void {
    this.destroy();
    queueMicrotask(() =>
      this.listener(
        experimental.statusOrFromError({
          code: status.UNAVAILABLE,
          details: reason,
          metadata: new Metadata(),
        }),
        {},
        null,
        `proxima: ${this.service}`,
      ),
    );
  }

  /** Reports the current list in a microtask: never synchronously, and once per burst of changes. */
  private scheduleReport(): void {
    if (this.reportQueued) return;
    this.reportQueued = true;
    queueMicrotask(() => {
      this.reportQueued = false;
      const routes = this.lease?.routes;
      const instances = routes?.instances();
      if (routes === undefined || instances === undefined) return;
      this.listener(
        experimental.statusOrFromValue(instances.flatMap(endpointOf)),
        { [RESOLVED_ATTRIBUTE]: new ResolvedService(routes, instances, this.binding.picks) },
        this.serviceConfig,
        `proxima: ${instances.length} grpc instance(s) of ${this.service}`,
      );
    });
  }
}

function endpointOf(instance: Instance): experimental.Endpoint[] {
  const address = splitAddress(instance.address);
  return instance.status === 'DOWN' || address === undefined ? [] : [{ addresses: [address] }];
}
