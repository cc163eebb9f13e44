import { tracingChannel, type TracingChannel } from 'node:diagnostics_channel';

/**
 * Proxima's `diagnostics_channel` events, for APMs and tools that subscribe without depending on
 * Proxima (the way undici and fastify publish theirs). Each is a `TracingChannel`: subscribe with
 * `diagnostics_channel.tracingChannel(name).subscribe({ start, end, asyncStart, asyncEnd, error })`.
 * Publishers check `hasSubscribers` first, so with nobody listening they cost one property read.
 * Names and payloads are documented in docs/observability.md.
 */

/** The payload of `proxima:client:call` (one logical call of a client). */
export interface ClientCallMessage {
  readonly service: string;
  /** The method name, without the service. */
  readonly method: string;
  readonly request: unknown;
  /** Set by the channel when the call resolved. */
  result?: unknown;
  /** Set by the channel when the call failed. */
  error?: unknown;
}

/** The payload of `proxima:server:call` (one call served by an RPC server). */
export interface ServerCallMessage {
  readonly service: string;
  readonly method: string;
  readonly request: unknown;
  /** The call's context (metadata, peer, signal); typed `CallContext` in `proxima`. */
  readonly context: unknown;
  result?: unknown;
  error?: unknown;
}

/** The payload of `proxima:registry:change` (a discovered service's instance set changed). */
export interface RegistryChangeMessage {
  readonly service: string;
  /** What caused the change: the snapshot's cause (`reset`, `upsert`, `delete`, …). */
  readonly cause: string;
  /** Instances in the service's new snapshot. */
  readonly instances: number;
  /** The registry revision of the change, when the backend has one. */
  readonly revision: string | undefined;
  error?: unknown;
}

export const CLIENT_CALL_CHANNEL = 'proxima:client:call';
export const SERVER_CALL_CHANNEL = 'proxima:server:call';
export const REGISTRY_CHANGE_CHANNEL = 'proxima:registry:change';

/** `proxima:client:call`: wraps every logical call of `createClient` clients (`tracePromise`). */
export const clientCallChannel: TracingChannel<object, ClientCallMessage> =
  tracingChannel(CLIENT_CALL_CHANNEL);
/** `proxima:server:call`: wraps every call an RPC server serves, interceptors included (`tracePromise`). */
export const serverCallChannel: TracingChannel<object, ServerCallMessage> =
  tracingChannel(SERVER_CALL_CHANNEL);
/** `proxima:registry:change`: wraps a discoverer applying a registry change (`traceSync`). */
export const registryChangeChannel: TracingChannel<object, RegistryChangeMessage> =
  tracingChannel(REGISTRY_CHANGE_CHANNEL);
