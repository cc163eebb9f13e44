import { ProximaError } from './errors.js';

/**
 * Loads a module that needs an optional peer dependency (`etcd3`, `@grpc/grpc-js`, `prom-client`).
 * When the peer is not installed, the answer is a FAILED_PRECONDITION that names the package to
 * install, instead of Node's ERR_MODULE_NOT_FOUND from somewhere deep in the module graph.
 *
 * @param peer - the npm package the module needs, e.g. `etcd3`
 * @param feature - what needs it, for the message, e.g. `the etcd registry backend (etcd://)`
 * @param load - the dynamic import, e.g. `() => import('./etcd/index.js')`
 *
 * @example
 * ```ts
 * const etcd = await loadWithPeer('etcd3', 'the etcd registry backend', () => import('./etcd/index.js'));
 * ```
 */
export async function loadWithPeer<T>(peer: string, feature: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissingPackage(error, peer)) throw missingPeer(peer, feature, error);
    throw error;
  }
}

/** The error for a missing optional peer dependency, naming the package and the install command. */
export function missingPeer(peer: string, feature: string, cause?: unknown): ProximaError {
  return new ProximaError(
    'FAILED_PRECONDITION',
    `${feature} needs the package "${peer}", which is not installed: run npm install ${peer}`,
    { cause },
  );
}

/**
 * True when `error` is Node's "cannot find package `name`" (from `import`, or from `require` inside
 * a CommonJS dependency). Any other failure, including a missing file inside an installed package,
 * is not a missing peer and keeps its own error.
 */
export function isMissingPackage(error: unknown, name: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  return typeof message === 'string' && (message.includes(`'${name}'`) || message.includes(`"${name}"`));
}
