/**
 * Proxima's xDS server: the registry served over Envoy's discovery protocol (ADS, state of the
 * world, v3), so stock gRPC clients in any language get Proxima's per-caller locality routing.
 * Needs the optional peer dependency `@grpc/grpc-js-xds` (for its Envoy `.proto` files).
 * See docs/xds.md.
 */
export {
  startXdsServer,
  type XdsServer,
  type XdsServerOptions,
  type XdsTlsOptions,
  type XdsReadAccess,
} from './xds-server.js';
export { xdsBootstrap, type BootstrapInput, type XdsBootstrap } from './bootstrap.js';
export { XDS_DEFAULTS, RETRY_ON, type XdsLimitsInput } from './options.js';
export type { XdsStats } from './stats.js';
export { loadAssignment, OVERPROVISIONING_FACTOR, type XdsLoadAssignment } from './load-assignment.js';
