import { systemClock } from '../core/clock.js';
import { clientCallChannel } from '../core/diagnostics.js';
import { traceClientCall } from '../observability/otel/client.js';
import { type Otel, resolveOpenTelemetry } from '../observability/otel/load.js';
import { ProximaError, toProximaError } from '../core/errors.js';
import type { Locality } from '../core/locality.js';
import { silentLogger } from '../core/logger.js';
import { systemRandom } from '../core/random.js';
import { createDiscoverer, type Discoverer } from '../discovery/discoverer.js';
import { openRegistry } from '../backends/open.js';
import type { Registry } from '../registry/registry.js';
import { executeCall } from '../resilience/execute-call.js';
import type { Attempt, BroadcastReply, CallPolicy } from '../resilience/policy.js';
import type { RoutingTable } from '../routing/explain.js';
import {
  bind,
  type BindOptions,
  type Caller,
  type MethodCall,
  type MethodInfo,
  type ServiceClient,
} from '../rpc/client/bind.js';
import type { ServiceDefinition } from '../rpc/service/define.js';
import { checkClientTls, clientTlsFromEnv, resolveTls } from '../rpc/tls/options.js';
import { prepareTls } from '../rpc/tls/dial.js';
import { announceTopology } from '../topology/announce.js';
import { lookupTopology } from '../topology/lookup.js';
import { formatSources, type TopologyReport } from '../topology/topology.js';
import { checkClientOptions, type ClientCallOptions, type ClientOptions } from './options.js';
import { type ClientObserver, combineObservers } from './observer.js';
import { type ChannelDeps, ServiceChannel } from './service-channel.js';

/**
 * A Proxima client: calls services by name through discovery, locality-aware routing, balancing,
 * the fail-mode policy and pooled RPC connections. One client serves any number of services; each
 * gets one registry watch, one router and one connection per endpoint, created on first use.
 *
 * @example
 * ```ts
 * await using client = await createClient({ registry: 'http://127.0.0.1:7070' });
 * const users = client.bind(UserApi);
 * const user = await users.get({ id: '42' }, { deadlineMs: 300 });
 * const raw = await client.call('users', 'get', { id: '42' });
 * console.log(formatRoutingTable(client.explain('users')));
 * ```
 */
export interface Client extends AsyncDisposable {
  /** Where this caller runs (routing prefers instances near it). */
  readonly locality: Locality;
  /** How the locality was found: what every topology source answered (docs/topology.md). */
  readonly topology: TopologyReport;
  /**
   * Calls `service.method` with `request` and resolves with the decoded answer. Rejects with a
   * ProximaError: the last attempt's error, DEADLINE_EXCEEDED, CANCELLED, or NO_ENDPOINTS.
   */
  call<T = unknown>(
    service: string,
    method: string,
    request: unknown,
    options?: ClientCallOptions,
  ): Promise<T>;
  /** Calls `service.method` on every routable instance at once; all must succeed. */
  broadcast<T = unknown>(
    service: string,
    method: string,
    request: unknown,
    options?: ClientCallOptions,
  ): Promise<ReadonlyArray<BroadcastReply<T>>>;
  /** A typed client of a service definition: one async method per method, types from its schemas. */
  bind<D extends ServiceDefinition>(
    definition: D,
    options?: BindOptions,
  ): ServiceClient<D, ClientCallOptions>;
  /** Resolves once the first snapshot of `service` arrived (calls made before simply wait for it). */
  ready(service: string, signal?: AbortSignal): Promise<void>;
  /**
   * The live routing table of `service`: tiers, shares, endpoint health and why (starts watching
   * the service if no call did yet; the table is empty until its first snapshot).
   */
  explain(service: string): RoutingTable;
  /** Stops watches, probers and connections; closes the registry when the client opened it. */
  close(): Promise<void>;
}

/**
 * {@link createClient}'s work, in the module it loads on first use: checks the options, looks up
 * the caller's locality, opens the registry when given a URL (closed again on `close()`) and
 * builds the client.
 */
export async function openClient(options: ClientOptions): Promise<Client> {
  checkClientOptions(options);
  const topology = await lookupTopology({
    role: 'client',
    env: options.env ?? process.env,
    topology: options.topology,
    configured: options.locality,
  });
  announceTopology(topology, 'client', options.logger);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const owned = typeof options.registry === 'string';
  const otel = await resolveOpenTelemetry(options.openTelemetry, 'client.openTelemetry');
  const registry =
    typeof options.registry === 'string'
      ? await openRegistry(options.registry, {
          clock,
          random,
          ...(options.env === undefined ? {} : { env: options.env }),
        })
      : options.registry;
  try {
    return new ProximaClient(options, registry, owned, otel, topology);
  } catch (error) {
    if (owned) await registry.close();
    throw error;
  }
}

class ProximaClient implements Client {
  private readonly channels = new Map<string, ServiceChannel>();
  private readonly discoverer: Discoverer;
  private readonly deps: ChannelDeps;
  private readonly caller: Caller<ClientCallOptions>;
  private readonly observer: ClientObserver | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    options: ClientOptions,
    private readonly registry: Registry,
    private readonly ownsRegistry: boolean,
    private readonly otel: Otel | undefined,
    readonly topology: TopologyReport,
  ) {
    const clock = options.clock ?? systemClock;
    const random = options.random ?? systemRandom;
    const logger = options.logger ?? silentLogger;
    this.discoverer = createDiscoverer({
      registry,
      clock,
      random,
      logger,
      // The lookup already read the environment (when `env` is one of its sources).
      locality: topology.locality,
      env: {},
      ...(options.selfPreservation === undefined ? {} : { selfPreservation: options.selfPreservation }),
    });
    this.observer = combineObservers(options.observers);
    const tls = resolveTls(options.tls, clientTlsFromEnv, options.env ?? process.env);
    this.deps = {
      options,
      discoverer: this.discoverer,
      clock,
      random,
      logger,
      observer: this.observer,
      tls: tls === undefined ? undefined : checkClientTls(tls, 'client.tls'),
    };
    // Parse the certificates now: a bad key fails createClient, not some later call.
    if (this.deps.tls !== undefined) prepareTls(this.deps.tls, 'client.tls');
    this.caller = {
      call: (wire, payload, callOptions, info) => this.callWire(wire, payload, callOptions, info),
      prepare: (wire, info) => this.prepare(wire, info),
    };
  }

  get locality(): Locality {
    return this.discoverer.locality;
  }

  call<T = unknown>(
    service: string,
    method: string,
    request: unknown,
    options?: ClientCallOptions,
  ): Promise<T> {
    const channel = this.channelOrError(service);
    if (channel instanceof ProximaError) return Promise.reject(channel);
    const wire = channel.wireName(method);
    const policy = channel.policy(wire, options?.idempotent ?? false);
    return this.execute(
      channel,
      method,
      policy,
      attemptOf(channel, wire, request, options),
      options,
      request,
      wire,
    ) as Promise<T>;
  }

  broadcast<T = unknown>(
    service: string,
    method: string,
    request: unknown,
    options?: ClientCallOptions,
  ): Promise<ReadonlyArray<BroadcastReply<T>>> {
    const channel = this.channelOrError(service);
    if (channel instanceof ProximaError) return Promise.reject(channel);
    const wire = channel.wireName(method);
    const policy = channel.policy(wire, options?.idempotent ?? false, true);
    const attempt = attemptOf(channel, wire, request, options) as Attempt<T>;
    return this.execute(channel, method, policy, attempt, options, request, wire) as Promise<
      ReadonlyArray<BroadcastReply<T>>
    >;
  }

  bind<D extends ServiceDefinition>(
    definition: D,
    options?: BindOptions,
  ): ServiceClient<D, ClientCallOptions> {
    return bind(this.caller, definition, options);
  }

  async ready(service: string, signal?: AbortSignal): Promise<void> {
    this.channel(service);
    await this.discoverer.ready(service, signal);
  }

  explain(service: string): RoutingTable {
    const table = this.channel(service).explain();
    if (table.topology === undefined) return table;
    return { ...table, topology: `${table.topology} (${formatSources(this.topology.sources)})` };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The `Caller` behind `bind`: wire names are `service.method`, the definition says idempotency. */
  private callWire(
    wire: string,
    request: unknown,
    options: ClientCallOptions | undefined,
    info: MethodInfo | undefined,
  ): Promise<unknown> {
    const service = info?.service ?? wire.slice(0, Math.max(0, wire.lastIndexOf('.')));
    const channel = this.channelOrError(service);
    if (channel instanceof ProximaError) return Promise.reject(channel);
    const policy = channel.policy(wire, options?.idempotent ?? info?.idempotent ?? false);
    const method = info?.method ?? wire.slice(service.length + 1);
    return this.execute(
      channel,
      method,
      policy,
      attemptOf(channel, wire, request, options),
      options,
      request,
      wire,
    );
  }

  /**
   * `bind`'s sender of one method: its channel and policy are looked up on the first call and
   * reused while the client is open; a call that overrides `idempotent` takes {@link callWire}.
   */
  private prepare(wire: string, info: MethodInfo): MethodCall<ClientCallOptions> {
    let channel: ServiceChannel | undefined;
    let policy: CallPolicy | undefined;
    return (request, options) => {
      const idempotent = options?.idempotent;
      if (idempotent !== undefined && idempotent !== info.idempotent) {
        return this.callWire(wire, request, options, info);
      }
      if (channel === undefined || policy === undefined || this.closing !== undefined) {
        const found = this.channelOrError(info.service);
        if (found instanceof ProximaError) return Promise.reject(found);
        channel = found;
        policy = found.policy(wire, info.idempotent);
      }
      const attempt = attemptOf(channel, wire, request, options);
      return this.execute(channel, info.method, policy, attempt, options, request, wire);
    };
  }

  /**
   * Runs one logical call under its policy (observers hear it through the policy), published on
   * the `proxima:client:call` tracing channel while anybody subscribes.
   */
  private execute(
    channel: ServiceChannel,
    method: string,
    policy: CallPolicy,
    attempt: Attempt<unknown>,
    options: ClientCallOptions | undefined,
    request: unknown,
    wire: string,
  ): Promise<unknown> {
    // The options go to the policy as they are: `deadlineMs` is its timeout.
    const otel = this.otel;
    if (otel === undefined && !clientCallChannel.hasSubscribers) {
      return executeCall(policy, attempt, options, options?.deadlineMs);
    }
    const run = (traced: Attempt<unknown>): Promise<unknown> =>
      executeCall(policy, traced, options, options?.deadlineMs);
    const execute =
      otel === undefined
        ? (): Promise<unknown> => run(attempt)
        : (): Promise<unknown> =>
            traceClientCall(
              otel,
              {
                service: channel.service,
                method,
                failMode: policy.failMode,
                hedged: policy.hedging !== undefined,
                caller: this.locality,
                metadata: options?.metadata,
              },
              (endpoint, context, metadata) => channel.send(endpoint, wire, request, context, metadata),
              run,
            );
    if (!clientCallChannel.hasSubscribers) return execute();
    return clientCallChannel.tracePromise(execute, { service: channel.service, method, request });
  }

  /** {@link channel}, with its error returned, for methods that must reject rather than throw. */
  private channelOrError(service: string): ServiceChannel | ProximaError {
    const existing = this.channels.get(service);
    if (existing !== undefined) return existing;
    try {
      return this.channel(service);
    } catch (error) {
      return toProximaError(error);
    }
  }

  private channel(service: string): ServiceChannel {
    const existing = this.channels.get(service);
    if (existing !== undefined) return existing;
    if (this.closing !== undefined) {
      throw new ProximaError('FAILED_PRECONDITION', 'the client is closed');
    }
    const channel = new ServiceChannel(service, this.deps);
    this.channels.set(service, channel);
    return channel;
  }

  private async shutdown(): Promise<void> {
    const channels = [...this.channels.values()];
    this.channels.clear();
    await Promise.all(channels.map((c) => c.close()));
    await this.discoverer.close();
    if (this.ownsRegistry) await this.registry.close();
  }
}

function attemptOf(
  channel: ServiceChannel,
  wire: string,
  request: unknown,
  options: ClientCallOptions | undefined,
): Attempt<unknown> {
  const metadata = options?.metadata;
  return (endpoint, context) => channel.send(endpoint, wire, request, context, metadata);
}
