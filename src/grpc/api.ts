/**
 * The gRPC integration's exports, loaded by `index.ts` once `@grpc/grpc-js` is known to be
 * installed. The only modules that import `@grpc/grpc-js` sit behind this file.
 */
export {
  registerProximaResolver,
  type ProximaResolverOptions,
  type ProximaResolverRegistration,
} from './register.js';
export { PROXIMA_LB_POLICY } from './load-balancer.js';
export { outcomeOfStatus } from './outcome.js';
export { openTelemetryServerInterceptor, serverInterceptors, type GrpcServerTracingOptions } from './otel.js';
