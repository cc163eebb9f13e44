/**
 * The etcd backend's public exports, loaded by `index.ts` once `etcd3` is known to be installed.
 */
export { EtcdRegistry } from './etcd-registry.js';
export { DEFAULT_PREFIX } from './options.js';
