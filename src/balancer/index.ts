export * from './picker.js';
export * from './balancer.js';
export * from './factory.js';
export * from './hash.js';
export { requestLoad, peakEwmaLoad, TwoChoicesPicker, type LoadOf } from './least-request.js';
export type { ConsistentHashOptions } from './consistent-hash.js';
export type { LatencyWeightedOptions } from './latency-weighted.js';
export type { WeightedRoundRobinOptions } from './weighted-round-robin.js';
