export * from './options.js';
export * from './router.js';
export * from './explain.js';
export * from './priority-load.js';
export * from './zone-residual.js';
export * from './tiers.js';
export type { Route, Plan, ZonePlan } from './plan.js';
export * from './service-routes.js';
