import { connectivityState, experimental, type ChannelOptions } from '@grpc/grpc-js';
import type { Instance } from '../core/instance.js';
import { splitAddress } from '../core/instance.js';
import type { ServiceRoutes } from '../routing/service-routes.js';
import { readResolved } from './attributes.js';
import { CallReporter } from './call-report.js';
import type { PickNotes } from './pick-notes.js';
import { ProximaPicker } from './picker.js';

/** The policy's name in a service config: `{ loadBalancingConfig: [{ proxima: {} }] }`. */
export const PROXIMA_LB_POLICY = 'proxima';

/** The (empty) config of the `proxima` policy: everything it needs comes with the resolution. */
export class ProximaLbConfig implements experimental.TypedLoadBalancingConfig {
  getLoadBalancerName(): string {
    return PROXIMA_LB_POLICY;
  }

  toJsonObject(): object {
    return { [PROXIMA_LB_POLICY]: {} };
  }

  static createFromJson(): ProximaLbConfig {
    return new ProximaLbConfig();
  }
}

/** One endpoint: a grpc-js leaf balancer (pick-first over the instance's one address). */
interface Child {
  readonly address: string;
  readonly leaf: experimental.LeafLoadBalancer;
}

/**
 * The `proxima` load-balancing policy of a grpc-js channel. It keeps one leaf balancer (a
 * subchannel) per instance the Proxima resolver reported, keeps them connected (as round_robin
 * does), and publishes a {@link ProximaPicker} whenever a connection changes state or the router
 * changes its mind. The channel's state is READY when any instance is, CONNECTING while one is
 * coming up, TRANSIENT_FAILURE when none can be reached.
 *
 * It expects the resolution of a `proxima:` target; with any other resolver it reports
 * TRANSIENT_FAILURE naming the problem.
 */
export class ProximaLoadBalancer implements experimental.LoadBalancer {
  private readonly children = new Map<string, Child>();
  private routes: ServiceRoutes | undefined;
  private routerChanged: Disposable | undefined;
  private reporter: CallReporter | undefined;
  private picks: PickNotes | undefined;
  private lastError: string | null = null;
  private publishQueued = false;
  private updating = false;
  private destroyed = false;

  constructor(private readonly helper: experimental.ChannelControlHelper) {}

  updateAddressList(
    endpoints: experimental.StatusOr<experimental.Endpoint[]>,
    config: experimental.TypedLoadBalancingConfig,
    options: ChannelOptions,
    resolutionNote: string,
  ): boolean {
    if (!(config instanceof ProximaLbConfig)) return false;
    if (!endpoints.ok) {
      // The Proxima resolver reports errors only when it can no longer resolve at all.
      this.reset();
      this.fail(endpoints.error.details);
      return true;
    }
    const resolved = readResolved(options);
    if (resolved === undefined) {
      this.reset();
      this.fail('the proxima load-balancing policy needs a proxima:/// target (registerProximaResolver)');
      return true;
    }
    this.bind(resolved.routes);
    this.picks = resolved.picks;
    this.updating = true;
    this.sync(resolved.instances, options, resolutionNote);
    this.updating = false;
    this.publish();
    return true;
  }

  exitIdle(): void {
    for (const child of this.children.values()) {
      if (child.leaf.getConnectivityState() === connectivityState.IDLE) child.leaf.exitIdle();
    }
  }

  resetBackoff(): void {
    // Each leaf's pick-first balancer owns its backoff; nothing is kept here.
  }

  destroy(): void {
    this.destroyed = true;
    this.reset();
  }

  getTypeName(): string {
    return PROXIMA_LB_POLICY;
  }

  /** Follows a (new) service's router: its changes may make queued calls pickable. */
  private bind(routes: ServiceRoutes): void {
    if (routes === this.routes) return;
    this.routerChanged?.[Symbol.dispose]();
    this.routes = routes;
    this.reporter = new CallReporter(routes.clock);
    this.routerChanged = routes.router.changed(() => this.schedulePublish());
  }

  /** One leaf per instance that is not DOWN, kept across resolutions while its address holds. */
  private sync(instances: readonly Instance[], options: ChannelOptions, note: string): void {
    const wanted = new Map<string, Instance>();
    for (const instance of instances) {
      if (instance.status !== 'DOWN' && splitAddress(instance.address) !== undefined)
        wanted.set(instance.id, instance);
    }
    for (const [id, child] of this.children) {
      if (wanted.get(id)?.address !== child.address) {
        child.leaf.destroy();
        this.children.delete(id);
      }
    }
    for (const [id, instance] of wanted) {
      if (this.children.has(id)) continue;
      const { host, port } = splitAddress(instance.address)!;
      const helper = experimental.createChildChannelControlHelper(this.helper, {
        updateState: (state, _picker, error) => this.onChildState(id, state, error),
      });
      const leaf = new experimental.LeafLoadBalancer({ addresses: [{ host, port }] }, helper, options, note);
      this.children.set(id, { address: instance.address, leaf });
      leaf.startConnecting();
    }
  }

  private onChildState(id: string, state: connectivityState, error: string | null): void {
    if (error) this.lastError = error;
    if (state === connectivityState.TRANSIENT_FAILURE) {
      this.routes?.reportFailed(id);
      // No connection: the router must not count it as available (explain showed a killed
      // endpoint with most of the traffic share while every call went elsewhere).
      this.routes?.reportConnection(id, false);
    } else if (state === connectivityState.READY) {
      this.routes?.reportConnection(id, true);
    }
    if (!this.updating) this.schedulePublish();
  }

  private schedulePublish(): void {
    if (this.publishQueued || this.destroyed) return;
    this.publishQueued = true;
    queueMicrotask(() => {
      this.publishQueued = false;
      if (!this.destroyed) this.publish();
    });
  }

  /** Computes the channel state from the children and hands grpc-js a new picker. */
  private publish(): void {
    const routes = this.routes;
    if (routes === undefined || this.reporter === undefined) return;
    const ready = new Map<string, experimental.Picker>();
    let connecting = false;
    for (const [id, child] of this.children) {
      const state = child.leaf.getConnectivityState();
      if (state === connectivityState.READY) ready.set(id, child.leaf.getPicker());
      else if (state === connectivityState.CONNECTING) connecting = true;
      else if (state !== connectivityState.TRANSIENT_FAILURE) {
        // IDLE: the connection dropped and backed off; keep every endpoint connected.
        child.leaf.exitIdle();
        connecting = true;
      }
    }
    if (ready.size > 0) {
      const notReady = new Set<string>();
      for (const instance of routes.instances() ?? []) if (!ready.has(instance.id)) notReady.add(instance.id);
      const picker = new ProximaPicker({
        router: routes.router,
        ready,
        notReady,
        whenEmpty: connecting ? 'queue' : 'fail',
        service: routes.service,
        reporter: this.reporter,
        picks: this.picks,
        onStale: () => this.schedulePublish(),
      });
      this.update(connectivityState.READY, picker, null);
    } else if (connecting) {
      this.update(connectivityState.CONNECTING, new experimental.QueuePicker(this), null);
    } else if (this.children.size === 0) {
      this.fail(`no instance of ${routes.service} speaks grpc`);
    } else {
      this.fail(
        `no connection to any instance of ${routes.service}; last error: ${this.lastError ?? 'none'}`,
      );
    }
  }

  private fail(details: string): void {
    this.update(
      connectivityState.TRANSIENT_FAILURE,
      new experimental.UnavailablePicker({ details: `proxima: ${details}` }),
      details,
    );
  }

  private update(state: connectivityState, picker: experimental.Picker, error: string | null): void {
    if (this.destroyed) return;
    this.helper.updateState(state, picker, error);
  }

  private reset(): void {
    this.routerChanged?.[Symbol.dispose]();
    this.routerChanged = undefined;
    this.routes = undefined;
    for (const child of this.children.values()) child.leaf.destroy();
    this.children.clear();
  }
}
