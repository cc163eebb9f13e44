import type { ResourceKind } from './type-urls.js';

/** Counters of an xDS server, read at scrape time by `/metrics` (see `mountXdsMetrics`). */
export interface XdsStats {
  /** ADS streams open now. */
  streams: number;
  /** Streams refused because `maxClients` were open. */
  streamsRefused: number;
  /** Streams refused by `readAccess` (no valid token when the ACL requires one). */
  streamsUnauthorized: number;
  /** Streams ended by the server for breaking a limit (too many names, too many services). */
  streamsAborted: number;
  /** Requests received, of every type. */
  requests: number;
  /** Requests naming a type URL Proxima does not serve (ignored). */
  unknownTypes: number;
  /** Requests ignored because they answered an older nonce than the latest sent. */
  staleNonces: number;
  readonly responses: Record<ResourceKind, number>;
  readonly acks: Record<ResourceKind, number>;
  readonly nacks: Record<ResourceKind, number>;
  /**
   * Times a response waited: the client had not yet answered (ACK / NACK) the last one of its type,
   * or had not read `maxQueuedResponses` earlier ones. What waits is coalesced, never queued.
   */
  deferredWrites: number;
}

export function emptyStats(): XdsStats {
  const perKind = (): Record<ResourceKind, number> => ({ listener: 0, cluster: 0, endpoints: 0 });
  return {
    streams: 0,
    streamsRefused: 0,
    streamsUnauthorized: 0,
    streamsAborted: 0,
    requests: 0,
    unknownTypes: 0,
    staleNonces: 0,
    responses: perKind(),
    acks: perKind(),
    nacks: perKind(),
    deferredWrites: 0,
  };
}
