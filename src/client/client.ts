import type { BroadcastReply } from '../resilience/policy.js';
import type { RoutingTable } from '../routing/explain.js';
import type { BindOptions, ServiceClient } from '../rpc/client/bind.js';
import type { ServiceDefinition } from '../rpc/service/define.js';
import type { Locality } from '../core/locality.js';
import { preloadZod } from '../core/zod.js';
import type { TopologyReport } from '../topology/topology.js';
import type { ClientCallOptions, ClientOptions } from './options.js';

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
 * Creates a {@link Client}. Opens the registry when given a URL (and closes it on `close()`).
 * Rejects with INVALID_ARGUMENT naming the bad option (`client.failMode: …`).
 *
 * The client's machinery (discovery, routing, policy, connections, zod for the option checks)
 * loads here, on the first call, not when the package is imported: an application pays for it
 * when it creates a client, and a process that only serves pays nothing.
 */
export async function createClient(options: ClientOptions): Promise<Client> {
  const [{ openClient }] = await Promise.all([import('./proxima-client.js'), preloadZod()]);
  return openClient(options);
}
