import type { RegistryFactory } from '../../registry/factory.js';
import { MemoryRegistry } from './memory-registry.js';

export { MemoryRegistry, type MemoryRegistryOptions } from './memory-registry.js';
export { MemoryLease, MemoryRegistration } from './handles.js';

/**
 * The `memory:` row of the URL table: every open is a NEW, empty in-process registry (there is no
 * process-wide singleton; share one by passing the object).
 */
export const openMemoryRegistry: RegistryFactory = async (_url, options) =>
  new MemoryRegistry(options.clock === undefined ? {} : { clock: options.clock });
