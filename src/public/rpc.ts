/**
 * Proxima RPC's building blocks (`@proxima-rpc/proxima/rpc`), for programs that compose their own client or
 * server instead of `createClient` / `createServer`: the server class and its registration hook,
 * one connection to one endpoint (no discovery), codecs, binding a service definition to any
 * caller, interceptor composition, and the built-in interceptors (bearer tokens, logging, rate
 * limits).
 */
export {
  RpcServer,
  type ListenAddress,
  type RegistrarHook,
  type ServerOptions,
  type ServerState,
  type ShutdownOptions,
} from '../rpc/server/server.js';
export {
  registerOnListen,
  type ServerRegistration,
  type ServerRegistrationOptions,
} from '../client/registration.js';
export { propagateCallContext } from '../client/call-context.js';
export type { Peer, ServerHandler } from '../rpc/server/context.js';
export type { ImplementOptions } from '../rpc/server/implement.js';
export { fullMethodName, type ParsedInputOf, type ReturnOf } from '../rpc/service/define.js';
export { RpcConnection, type RpcConnectionOptions } from '../rpc/connection/rpc-connection.js';
export type { KeepAliveOptions } from '../rpc/connection/keepalive.js';
export type { Pem } from '../rpc/tls/index.js';
export { jsonCodec, msgpackCodec, type Codec } from '../rpc/wire/codec.js';
export type {
  CallOptions as TransportCallOptions,
  Metadata,
  Transport,
  TransportEndpoint,
  TransportFactory,
  TransportState,
} from '../transport/transport.js';
export { bind, type BindOptions, type Caller, type MethodInfo } from '../rpc/client/bind.js';
export { composeClient, withInterceptors, type ClientHandler } from '../rpc/client/interceptor.js';
export {
  AUTHORIZATION,
  bearerToken,
  requireAuth,
  requireToken,
  type RequireAuthOptions,
  type RequireTokenOptions,
} from '../rpc/interceptors/auth.js';
export { clientLogging, serverLogging, type LoggingOptions } from '../rpc/interceptors/logging.js';
export { rateLimit, type RateLimitOptions } from '../rpc/interceptors/rate-limit.js';
export { PLAINTEXT_REFUSAL } from '../rpc/tls/index.js';
export { servesTls, TLS_METADATA_KEY } from '../core/instance.js';
