/**
 * Plain HTTP through Proxima: an undici `Dispatcher` that resolves `http://service-name/...`
 * through discovery and routing. Also home of the transport-neutral per-service routing state
 * (`ServiceRoutes`, `RoutingSource`) that the gRPC resolver shares.
 */
export {
  createProximaDispatcher,
  ProximaDispatcher,
  serviceOfOrigin,
  type ProximaDispatcherOptions,
} from './dispatcher.js';
export { DEFAULT_RETRY_ERROR_CODES, DEFAULT_RETRY_METHODS, type HttpRetryOptions } from './retry-rules.js';
export type { EndpointPoolOptions } from './endpoint-pools.js';
export { RoutingSource, type RoutesLease, type RoutingSourceOptions } from './routing-source.js';
export { ServiceRoutes, type RouteProbeOptions, type ServiceRoutesDeps } from '../routing/service-routes.js';
