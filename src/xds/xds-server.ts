import { Server, ServerCredentials, type ServerDuplexStream, status as GrpcStatus } from '@grpc/grpc-js';
import { pino } from 'pino';
import { ErrorCode, invalidArgument, ProximaError } from '../core/errors.js';
import { joinAddress } from '../core/instance.js';
import type { Logger } from '../core/logger.js';
import { createDiscoverer, type Discoverer } from '../discovery/discoverer.js';
import type { Registry } from '../registry/registry.js';
import { AdsSession } from './ads-session.js';
import { checkXdsLimits, type XdsLimitsInput } from './options.js';
import { loadXdsProtos } from './protos.js';
import { ServiceFeed } from './service-feed.js';
import { emptyStats, type XdsStats } from './stats.js';
import { adsServiceDefinition, type DiscoveryRequest, type DiscoveryResponse } from './wire.js';

/** PEM material for the xDS port; with `ca`, clients must present a certificate it signed (mTLS). */
export interface XdsTlsOptions {
  readonly key: Buffer | string;
  readonly cert: Buffer | string;
  readonly ca?: Buffer | string;
}

/**
 * Decides which services one ADS stream may read, from the stream's call metadata (a bearer token)
 * and its peer certificate. Names it may not read are served as if they did not exist. Throwing
 * refuses the stream: UNAUTHENTICATED for a ProximaError of that code, PERMISSION_DENIED otherwise.
 */
export type XdsReadAccess = (call: ServerDuplexStream<unknown, unknown>) => (service: string) => boolean;

/** Options of {@link startXdsServer}: where the data comes from, where to listen, and the bounds. */
export interface XdsServerOptions extends XdsLimitsInput {
  /** Instances come from this discoverer (shared with its other users)… */
  readonly discoverer?: Discoverer;
  /** …or from a discoverer the server makes (and closes) over this registry. */
  readonly registry?: Registry;
  readonly tls?: XdsTlsOptions;
  readonly readAccess?: XdsReadAccess;
  /** pino, or any {@link Logger}. Default: pino at `info`. */
  readonly logger?: Logger;
}

/** A running xDS (ADS) server. */
export interface XdsServer extends AsyncDisposable {
  /** `host:port`, what a bootstrap's `server_uri` names. */
  readonly address: string;
  readonly port: number;
  /** Live counters (streams, requests, ACKs, NACKs by type…). */
  readonly stats: Readonly<XdsStats>;
  /** Responses written and not yet taken by their clients, over all streams (bounded by `maxQueuedResponses` each). */
  queuedResponses(): number;
  close(): Promise<void>;
}

/**
 * Serves Proxima's registry to stock gRPC clients over xDS (ADS, state of the world, v3): for every
 * service a Listener (`xds:///SERVICE`), an EDS Cluster and a ClusterLoadAssignment computed for
 * each client from its `node.locality` with Proxima's tiers. See docs/xds.md.
 *
 * @example
 * ```ts
 * await using xds = await startXdsServer({ registry: await openRegistry('etcd://127.0.0.1:2379'), port: 18000 });
 * // client: GRPC_XDS_BOOTSTRAP_CONFIG from `proxima xds bootstrap`, then dial `xds:///users`
 * ```
 */
export async function startXdsServer(options: XdsServerOptions): Promise<XdsServer> {
  const { discoverer: given, registry, tls, readAccess, logger: givenLogger, ...plain } = options;
  const limits = checkXdsLimits(plain);
  if ((given === undefined) === (registry === undefined))
    throw invalidArgument('xds.registry', 'give exactly one of discoverer or registry');
  const logger = givenLogger ?? pino({ name: 'proxima-xds' });
  const protos = loadXdsProtos();
  const discoverer = given ?? createDiscoverer({ registry: registry as Registry, logger });
  const feed = new ServiceFeed(discoverer, protos, limits.maxServices);
  const stats = emptyStats();
  const sessions = new Set<AdsSession>();
  const route = { retryOn: limits.retryOn, numRetries: limits.numRetries };
  const controlPlane = `proxima/${process.pid}`;

  const server = new Server({
    'grpc.max_receive_message_length': limits.maxRequestBytes,
  });
  server.addService(adsServiceDefinition(protos), {
    StreamAggregatedResources: (call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => {
      if (sessions.size >= limits.maxClients) {
        stats.streamsRefused++;
        call.emit('error', {
          code: GrpcStatus.RESOURCE_EXHAUSTED,
          details: `at most ${limits.maxClients} xDS clients (xds.maxClients)`,
        });
        return;
      }
      let mayRead: (service: string) => boolean;
      try {
        mayRead = readAccess?.(call as ServerDuplexStream<unknown, unknown>) ?? (() => true);
      } catch (error) {
        stats.streamsUnauthorized++;
        const unauthenticated = error instanceof ProximaError && error.code === ErrorCode.UNAUTHENTICATED;
        logger.debug({ peer: call.getPeer() }, 'xDS stream refused by readAccess');
        call.emit('error', {
          code: unauthenticated ? GrpcStatus.UNAUTHENTICATED : GrpcStatus.PERMISSION_DENIED,
          details: error instanceof Error ? error.message : 'refused',
        });
        return;
      }
      const session = new AdsSession(call, {
        protos,
        feed,
        route,
        limits,
        stats,
        logger,
        mayRead,
        controlPlane,
      });
      sessions.add(session);
      stats.streams++;
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        sessions.delete(session);
        stats.streams--;
        session[Symbol.dispose]();
        logger.debug({ node: session.node }, 'xDS stream ended');
      };
      call.on('end', () => {
        end();
        call.end();
      });
      call.on('cancelled', end);
      call.on('close', end);
      call.on('error', end);
    },
  });

  const credentials =
    tls === undefined
      ? ServerCredentials.createInsecure()
      : ServerCredentials.createSsl(
          tls.ca === undefined ? null : Buffer.from(tls.ca),
          [{ private_key: Buffer.from(tls.key), cert_chain: Buffer.from(tls.cert) }],
          tls.ca !== undefined,
        );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(joinAddress(limits.host, limits.port), credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  const address = joinAddress(limits.host, port);
  logger.info({ address, tls: tls !== undefined }, 'xDS server listening');

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      server.forceShutdown();
      for (const session of sessions) session[Symbol.dispose]();
      sessions.clear();
      feed[Symbol.dispose]();
      if (given === undefined) await discoverer.close();
      logger.info({ address }, 'xDS server stopped');
    })());
  const queuedResponses = (): number => {
    let total = 0;
    for (const session of sessions) total += session.queued;
    return total;
  };
  return { address, port, stats, queuedResponses, close, [Symbol.asyncDispose]: close };
}
