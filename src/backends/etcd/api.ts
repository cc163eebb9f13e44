export { EtcdRegistry } from './etcd-registry.js';
export { EtcdLease } from './lease.js';
export { KeyLayout, decodeInstance, encodeInstance } from './keys.js';
export {
  DEFAULT_PREFIX,
  ETCD_ENV,
  etcdEnvDefaults,
  parseEtcdUrl,
  resolveEtcdOptions,
  type EtcdRegistryInput,
  type EtcdRegistryOptions,
  type EtcdTlsOptions,
} from './options.js';
export { openEtcdRegistry } from './open.js';
