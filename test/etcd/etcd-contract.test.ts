import { EtcdRegistry } from '../../src/backends/etcd/index.js';
import { registryContract } from '../../src/registry/registry.contract.js';
import { EtcdCluster } from '../support/etcd.js';
import { ProcessGroup } from '../support/processes.js';

// The one registry contract, against one real etcd (Debian's /usr/bin/etcd). Each run writes under a
// prefix of its own. etcd grants whole seconds and at least its minimum TTL (2 s here), and its
// leader sweeps expired leases every 500 ms: hence the TTL and slack.
registryContract(
  'etcd',
  async () => {
    const group = new ProcessGroup();
    const etcd = await EtcdCluster.start(group);
    const prefix = `/contract-${Date.now().toString(36)}`;
    const clients: EtcdRegistry[] = [];
    const connect = async (): Promise<EtcdRegistry> => {
      const client = new EtcdRegistry({ endpoints: etcd.endpoints, prefix });
      clients.push(client);
      return client;
    };
    return {
      registry: await connect(),
      connect,
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      compact: async () => {
        await etcd.compact();
      },
      close: async () => {
        await Promise.all(clients.map((c) => c.close()));
        await etcd.stop();
        await group.killAll();
      },
    };
  },
  { ttlMs: 2_000, expirySlackMs: 1_500 },
);
