/**
 * gRPC through Proxima (`proxima/grpc`): a grpc-js resolver for `proxima:///service` and the
 * locality-aware `proxima` load-balancing policy it selects. The only module that imports
 * `@grpc/grpc-js`, so programs that do not use gRPC never load it.
 */
export {
  registerProximaResolver,
  type ProximaResolverOptions,
  type ProximaResolverRegistration,
} from './register.js';
export { PROXIMA_LB_POLICY } from './load-balancer.js';
export { outcomeOfStatus } from './outcome.js';
