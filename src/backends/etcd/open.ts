import type { OpenRegistryOptions } from '../../registry/factory.js';
import type { Registry } from '../../registry/registry.js';
import { EtcdRegistry } from './etcd-registry.js';
import { etcdEnvDefaults, parseEtcdUrl } from './options.js';

/**
 * The `etcd:` row of the scheme table: `etcd://h1:2379,h2:2379[/prefix][?tls=1&ca=…]` opens a client
 * of an etcd v3 cluster (see {@link parseEtcdUrl} for the URL, {@link etcdEnvDefaults} for what the
 * environment adds, docs/etcd-layout.md for the keys). It takes the URL as a string: WHATWG `URL`
 * cannot hold several hosts.
 */
export async function openEtcdRegistry(url: string, options: OpenRegistryOptions = {}): Promise<Registry> {
  options.signal?.throwIfAborted();
  return new EtcdRegistry({
    ...etcdEnvDefaults(parseEtcdUrl(url, 'registry'), options.env ?? process.env),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}
