/**
 * gRPC through Proxima (`@proxima-rpc/proxima/grpc`): a grpc-js resolver for `proxima:///service` and the
 * locality-aware `proxima` load-balancing policy it selects.
 *
 * `@grpc/grpc-js` is an optional peer dependency: the application installs it (so its channels and
 * Proxima's resolver share one grpc-js), and importing this entry without it fails with a
 * FAILED_PRECONDITION that names the package, not a module-resolution error from deep inside.
 */
import { loadWithPeer } from '../core/peer.js';

const api = await loadWithPeer('@grpc/grpc-js', 'the gRPC integration', () => import('./api.js'));

/** {@inheritDoc registerProximaResolver} */
export const registerProximaResolver: typeof api.registerProximaResolver = api.registerProximaResolver;
/** The name of the locality-aware load-balancing policy the resolver selects (`proxima`). */
export const PROXIMA_LB_POLICY: typeof api.PROXIMA_LB_POLICY = api.PROXIMA_LB_POLICY;
/** {@inheritDoc outcomeOfStatus} */
export const outcomeOfStatus: typeof api.outcomeOfStatus = api.outcomeOfStatus;
/** {@inheritDoc serverInterceptors} */
export const serverInterceptors: typeof api.serverInterceptors = api.serverInterceptors;
/** {@inheritDoc openTelemetryServerInterceptor} */
export const openTelemetryServerInterceptor: typeof api.openTelemetryServerInterceptor =
  api.openTelemetryServerInterceptor;
export type { ProximaResolverOptions, ProximaResolverRegistration } from './register.js';
export type { GrpcServerTracingOptions } from './otel.js';
