/**
 * The Proxima registry server (`proxima registry`). The CLI calls {@link startRegistryServer};
 * `/metrics` and the dashboard mount their routes on `server.router`.
 */
export { startRegistryServer, type RegistryServer } from './server.js';
export {
  DEFAULT_PORT,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_HEARTBEAT_MS,
  type RegistryServerOptions,
  type RegistryXdsOptions,
} from './options.js';
export { RouteTable, type Route, type RouteContext, type RouteHandler } from './router.js';
export { HttpError, readJsonBody, sendJson, sendError, sendNoContent } from './http-io.js';
export {
  allowAll,
  requireAccess,
  type AuthPolicy,
  type Principal,
  type RequestScope,
  type TlsOptions,
} from './seams.js';
export { AclPolicy, type AclInput } from './security/acl.js';
export { DEFAULT_LIMITS, type Limits, type LimitsInput } from './security/limits.js';
export type { RegistryState, LeaseInfo, HeldInstance } from './state.js';
