/**
 * The etcd v3 registry backend (`@proxima-rpc/proxima/etcd`): one lease per process session, one key per
 * instance under a prefix, prefix watches resumed at revision + 1 (docs/etcd-layout.md).
 * `openRegistry('etcd://h1:2379,h2:2379')` loads it on demand; import it directly to construct an
 * {@link EtcdRegistry} with options a URL cannot carry.
 *
 * `etcd3` is an optional peer dependency: importing this entry without it fails with a
 * FAILED_PRECONDITION that names the package, not a module-resolution error from deep inside.
 */
import { loadWithPeer } from '../../core/peer.js';

const api = await loadWithPeer('etcd3', 'the etcd registry backend', () => import('./api.js'));

/** {@inheritDoc EtcdRegistry} */
export const EtcdRegistry: typeof api.EtcdRegistry = api.EtcdRegistry;
/** An etcd registry client (see `new EtcdRegistry(options)`). */
export type EtcdRegistry = InstanceType<typeof api.EtcdRegistry>;
/** The default key prefix of instances in etcd (`/proxima`). */
export const DEFAULT_PREFIX: typeof api.DEFAULT_PREFIX = api.DEFAULT_PREFIX;
export type { EtcdRegistryInput, EtcdRegistryOptions, EtcdTlsOptions } from './options.js';
