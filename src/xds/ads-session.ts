import { createHash } from 'node:crypto';
import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import { isProximaError } from '../core/errors.js';
import { serviceNameSchema } from '../core/instance.js';
import { type Locality, localitySchema, UNKNOWN_LOCALITY } from '../core/locality.js';
import type { Logger } from '../core/logger.js';
import type { XdsProtos } from './protos.js';
import { type AnyMessage, clusterResource, listenerResource, type RouteSettings } from './resources.js';
import type { ServiceFeed } from './service-feed.js';
import type { XdsStats } from './stats.js';
import { kindOfTypeUrl, type ResourceKind, TYPE_URL } from './type-urls.js';
import type { DiscoveryRequest, DiscoveryResponse } from './wire.js';

export interface SessionLimits {
  /** Resource names one client may subscribe to, per type. */
  readonly maxResourceNames: number;
  /** Responses written but not yet taken by the client before further ones wait (coalesced). */
  readonly maxQueuedResponses: number;
}

export interface SessionDeps {
  readonly protos: XdsProtos;
  readonly feed: ServiceFeed;
  readonly route: RouteSettings;
  readonly limits: SessionLimits;
  readonly stats: XdsStats;
  readonly logger: Logger;
  /** Whether this client may read `service` (ACL read rules); names it may not read are not served. */
  readonly mayRead: (service: string) => boolean;
  readonly controlPlane: string;
}

/** Per type: what the client subscribed to and where the exchange stands. */
interface TypeState {
  readonly kind: ResourceKind;
  names: ReadonlySet<string>;
  /** Version of the last response sent, counted per type and client. */
  version: number;
  /** Nonce of the last response sent; requests quoting another one are stale. */
  nonce: string | undefined;
  /** Version the client last accepted. */
  acked: string;
  /** A response is owed (subscription or data changed) and not yet written. */
  dirty: boolean;
  /** The last response is not yet ACKed or NACKed: the next one waits (and coalesces). */
  awaiting: boolean;
  /** Names were added: answer even if nothing changed and even if the last response is unanswered. */
  owed: boolean;
  /** Digest of each resource last sent, so an unchanged set is not re-sent on every change. */
  readonly sent: Map<string, string>;
}

type Call = ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>;

/**
 * One ADS stream (state of the world): one client, its node locality, and per resource type the
 * subscribed names, versions, nonces and ACK/NACK state. Every response carries all subscribed
 * resources of its type (Listener and Cluster resources exist for every valid service name, so a
 * watched Listener is never deleted). At most one response per type waits for the client's ACK or
 * NACK, and at most `maxQueuedResponses` sit unread in the stream: what is owed is recomputed when
 * the client answers, so a client that never reads costs a bounded amount, not one per change.
 */
export class AdsSession implements Disposable {
  private readonly types = new Map<ResourceKind, TypeState>();
  private readonly watches = new Map<string, Disposable>();
  private locality: Locality = UNKNOWN_LOCALITY;
  private nodeId = '';
  private sawNode = false;
  private nonces = 0;
  private closed = false;
  private waitingForDrain = false;

  constructor(
    private readonly call: Call,
    private readonly deps: SessionDeps,
  ) {
    call.on('data', (request: DiscoveryRequest) => this.onRequest(request));
  }

  /** A written response left the stream's queue: what waited for room may go now. */
  private readonly written = (): void => {
    if (!this.waitingForDrain || this.closed) return;
    this.waitingForDrain = false;
    this.flush();
  };

  /** Responses written to the stream and not yet taken by the client. */
  get queued(): number {
    return this.call.writableLength;
  }

  /** The client's node id (empty until its first request names one). */
  get node(): string {
    return this.nodeId;
  }

  private onRequest(request: DiscoveryRequest): void {
    if (this.closed) return;
    const { stats, logger } = this.deps;
    stats.requests++;
    if (!this.sawNode && request.node) this.readNode(request.node);
    const kind = kindOfTypeUrl(request.type_url);
    this.deps.logger.debug(
      {
        node: this.nodeId,
        typeUrl: request.type_url,
        names: request.resource_names.length,
        version: request.version_info,
        nonce: request.response_nonce,
        nack: request.error_detail ? true : undefined,
      },
      'xDS request',
    );
    if (kind === undefined) {
      stats.unknownTypes++;
      logger.debug({ node: this.nodeId, typeUrl: request.type_url }, 'xDS request for a type not served');
      return;
    }
    const state = this.typeState(kind);
    if (
      request.response_nonce !== '' &&
      state.nonce !== undefined &&
      request.response_nonce !== state.nonce
    ) {
      // xDS: a request answering an older response is superseded by the answer to the newer one.
      stats.staleNonces++;
      return;
    }
    const answered = state.nonce !== undefined && request.response_nonce === state.nonce;
    if (answered) state.awaiting = false;
    if (answered && request.error_detail) {
      stats.nacks[kind]++;
      logger.warn(
        {
          node: this.nodeId,
          typeUrl: request.type_url,
          version: String(state.version),
          acked: state.acked,
          code: request.error_detail.code ?? 0,
          error: request.error_detail.message ?? '',
        },
        'xDS client rejected a response (NACK)',
      );
    } else if (answered) {
      stats.acks[kind]++;
      state.acked = request.version_info;
    }
    if (request.resource_names.length > this.deps.limits.maxResourceNames) {
      this.abort(
        GrpcStatus.RESOURCE_EXHAUSTED,
        `at most ${this.deps.limits.maxResourceNames} resource names per type (xds.maxResourceNames)`,
      );
      return;
    }
    const names = new Set(request.resource_names);
    const added = [...names].filter((name) => !state.names.has(name));
    const removed = [...state.names].filter((name) => !names.has(name));
    state.names = names;
    for (const name of removed) state.sent.delete(name);
    if (kind === 'endpoints') {
      for (const name of removed) this.unwatch(name);
      try {
        for (const name of added) this.watchService(name);
      } catch (error) {
        if (!isProximaError(error) || error.code !== 'RESOURCE_EXHAUSTED') throw error;
        this.abort(GrpcStatus.RESOURCE_EXHAUSTED, error.message);
        return;
      }
    }
    // A first request, or any name added (a re-subscription too), is answered even if unchanged;
    // an assignment not known yet is sent when its service's first snapshot arrives.
    if (state.nonce === undefined || added.length > 0) {
      for (const name of added) state.sent.delete(name);
      state.dirty = true;
      if (kind !== 'endpoints' || added.some((name) => this.resource(kind, name) !== undefined))
        state.owed = true;
      this.flush();
    } else if (answered && state.dirty) {
      this.flush();
    }
  }

  private readNode(node: NonNullable<DiscoveryRequest['node']>): void {
    this.sawNode = true;
    this.nodeId = (node.id ?? '').slice(0, 256);
    const parsed = localitySchema().safeParse({
      region: node.locality?.region ?? '',
      zone: node.locality?.zone ?? '',
      subzone: node.locality?.sub_zone ?? '',
    });
    if (parsed.success) this.locality = parsed.data;
    else this.deps.logger.warn({ node: this.nodeId }, 'xDS client locality is malformed; treated as unknown');
  }

  private typeState(kind: ResourceKind): TypeState {
    let state = this.types.get(kind);
    if (state === undefined) {
      state = {
        kind,
        names: new Set(),
        version: 0,
        nonce: undefined,
        acked: '',
        dirty: false,
        awaiting: false,
        owed: false,
        sent: new Map(),
      };
      this.types.set(kind, state);
    }
    return state;
  }

  private watchService(name: string): void {
    if (this.watches.has(name) || !this.servable(name)) return;
    this.watches.set(
      name,
      this.deps.feed.watch(name, () => this.changed()),
    );
  }

  private unwatch(name: string): void {
    this.watches.get(name)?.[Symbol.dispose]();
    this.watches.delete(name);
  }

  private changed(): void {
    const state = this.types.get('endpoints');
    if (state === undefined || this.closed) return;
    state.dirty = true;
    this.flush();
  }

  private servable(name: string): boolean {
    return serviceNameSchema().safeParse(name).success && this.deps.mayRead(name);
  }

  /**
   * Writes what is owed, one unanswered response per type: while the client has not ACKed or
   * NACKed the last one, changes only mark the type dirty, and the answer brings the latest state.
   * A client that never reads never answers, so it costs one response per type, not one per change.
   */
  private flush(): void {
    for (const state of this.types.values()) {
      if (!state.dirty || this.closed) continue;
      if (state.awaiting && !state.owed) {
        this.deps.stats.deferredWrites++;
        continue;
      }
      if (this.call.writableLength >= this.deps.limits.maxQueuedResponses) {
        if (!this.waitingForDrain) this.deps.stats.deferredWrites++;
        this.waitingForDrain = true;
        return;
      }
      this.respond(state);
    }
  }

  private respond(state: TypeState): void {
    const force = state.owed;
    state.dirty = false;
    state.owed = false;
    const resources: AnyMessage[] = [];
    let changed = force;
    const digests = new Map<string, string>();
    for (const name of state.names) {
      const resource = this.resource(state.kind, name);
      if (resource === undefined) continue;
      resources.push(resource);
      const digest = createHash('sha1').update(resource.value).digest('base64');
      digests.set(name, digest);
      if (state.sent.get(name) !== digest) changed = true;
    }
    if (!changed && digests.size === state.sent.size) return;
    state.sent.clear();
    for (const [name, digest] of digests) state.sent.set(name, digest);
    state.version++;
    state.nonce = String(++this.nonces);
    state.awaiting = true;
    this.deps.stats.responses[state.kind]++;
    this.deps.logger.debug(
      {
        node: this.nodeId,
        kind: state.kind,
        version: state.version,
        names: state.names.size,
        sent: resources.length,
      },
      'xDS response',
    );
    this.call.write(
      {
        version_info: String(state.version),
        resources,
        type_url: TYPE_URL[state.kind],
        nonce: state.nonce,
        control_plane: { identifier: this.deps.controlPlane },
      } satisfies DiscoveryResponse,
      // Not 'drain': that fires only past the stream's own high-water mark, which may be above ours.
      this.written,
    );
  }

  private resource(kind: ResourceKind, name: string): AnyMessage | undefined {
    if (!this.servable(name)) return undefined;
    switch (kind) {
      case 'listener':
        return listenerResource(this.deps.protos, name, this.deps.route);
      case 'cluster':
        return clusterResource(this.deps.protos, name);
      case 'endpoints':
        return this.deps.feed.endpoints(name, this.locality);
    }
  }

  private abort(code: GrpcStatus, details: string): void {
    this.deps.stats.streamsAborted++;
    this.deps.logger.warn({ node: this.nodeId, details }, 'xDS stream ended: limit reached');
    this.dispose();
    this.call.emit('error', { code, details });
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const watch of this.watches.values()) watch[Symbol.dispose]();
    this.watches.clear();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
