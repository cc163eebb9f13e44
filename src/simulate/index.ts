/**
 * The policy simulator: a deterministic, seeded discrete-event model of a service spread over
 * regions and zones, driven by the real router, balancers, health and call policy on virtual
 * time. `proxima simulate SCENARIO` is its command line.
 */
export * from './scenario.js';
export * from './distributions.js';
export * from './faults.js';
export * from './policies.js';
export * from './runner.js';
export * from './report.js';
export type { MetricsSummary, ZoneOutcome } from './metrics.js';
export { EventQueue, type SimEvent } from './event-queue.js';
export { VirtualClock } from './virtual-clock.js';
