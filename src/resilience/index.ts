/**
 * The policy layer: how one logical call becomes attempts on endpoints — deadlines and their
 * propagation, fail modes, retries with full-jitter backoff under an A6 retry budget, and hedged
 * requests. Per-endpoint health (breakers, outlier ejection) lives with the balancers; this layer
 * only reports each attempt's outcome to the endpoint's tracker.
 */
export * from './backoff.js';
export * from './retry-budget.js';
export * from './deadline.js';
export * from './deadline-context.js';
export * from './latency-estimator.js';
export * from './logger.js';
export * from './policy.js';
export * from './call-policy.js';
export * from './outcome.js';
export * from './failback-queue.js';
export * from './execute-call.js';
export * from './operation-policy.js';
