import { FakeClock } from '../../core/testing/fake-clock.js';
import { registryContract } from '../../registry/registry.contract.js';
import { MemoryRegistry } from './memory-registry.js';

registryContract(
  'memory',
  async () => {
    const clock = new FakeClock();
    const registry = new MemoryRegistry({ clock });
    return {
      registry,
      connect: async () => registry.connect(),
      advance: (ms) => clock.advance(ms),
      compact: async () => registry.compact(),
      close: () => registry.close(),
    };
  },
  { ttlMs: 1000, expirySlackMs: 0 },
);
