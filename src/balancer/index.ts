export * from './picker.js';
export * from './balancer.js';
export * from './factory.js';
export * from './hash.js';
export {
  requestLoad,
  peakEwmaLoad,
  peakEwmaLower,
  byLoad,
  TwoChoicesPicker,
  type LoadOf,
  type Lower,
} from './least-request.js';
export type { ConsistentHashOptions } from './consistent-hash.js';
export type { LatencyWeightedOptions } from './latency-weighted.js';
export type { WeightedRoundRobinOptions } from './weighted-round-robin.js';
