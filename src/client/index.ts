/**
 * The composition layer: `createClient` (discovery → router → policy → pooled RPC connections)
 * and the server-side pieces that make a fleet of services (registration on listen, deadline
 * propagation into handlers).
 */
export * from './client.js';
export * from './observer.js';
export * from './options.js';
export * from './call-context.js';
export * from './registration.js';
export * from './service-server.js';
