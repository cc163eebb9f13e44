export * from './options.js';
export * from './endpoint-stats.js';
export * from './health-policy.js';
export * from './stats-pool.js';
export * from './breaker/algorithm.js';
export * from './breaker/state-machine.js';
