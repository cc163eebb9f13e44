export { HttpRegistry, type HttpRegistryOptions } from './http-registry.js';
export { HttpLease } from './lease.js';
export type { BackoffOptions } from './backoff.js';
export { openHttpRegistry } from './open.js';
