import { invalidArgument } from '../core/errors.js';
import { loadWithPeer } from '../core/peer.js';
import { preloadZod } from '../core/zod.js';
import type { OpenRegistryOptions, RegistryFactory } from '../registry/factory.js';
import type { Registry } from '../registry/registry.js';

export type { OpenRegistryOptions, RegistryFactory } from '../registry/factory.js';

/**
 * The backends, by URL scheme (with its colon, as `URL.protocol` spells it). Each backend module
 * exports one {@link RegistryFactory}; adding a backend is adding one row here. This table sits
 * above the backends (it is the only file that knows them all) and loads each one when its scheme
 * is first asked for: importing the registry contract, or opening `http://`, never loads the etcd
 * client, and `etcd3` is an optional peer dependency that only `etcd://` users install.
 */
const BACKENDS: Readonly<Record<string, RegistryFactory>> = Object.freeze({
  'memory:': async (url, options, raw) =>
    (await import('./memory/index.js')).openMemoryRegistry(url, options, raw),
  'http:': async (url, options, raw) => (await import('./http/index.js')).openHttpRegistry(url, options, raw),
  'https:': async (url, options, raw) =>
    (await import('./http/index.js')).openHttpRegistry(url, options, raw),
  'etcd:': async (_url, options, raw) =>
    (
      await loadWithPeer('etcd3', 'the etcd registry backend (etcd:// URLs)', () => import('./etcd/open.js'))
    ).openEtcdRegistry(raw, options),
});

/** The default registry: the embedded registry server on this machine. */
export const DEFAULT_REGISTRY_URL = 'http://127.0.0.1:7070';

/**
 * Opens a registry client for a URL: `memory:` (a new in-process registry), `http://host:port`
 * (the Proxima registry server), `etcd://h1:2379,h2:2379`. An unknown or malformed URL is an
 * INVALID_ARGUMENT naming `registry`.
 *
 * @example
 * ```ts
 * await using registry = await openRegistry(registryUrlFromEnv(process.env));
 * console.log(await registry.services());
 * ```
 */
export async function openRegistry(url: string, options: OpenRegistryOptions = {}): Promise<Registry> {
  const parsed = parseRegistryUrl(url);
  await preloadZod(); // the backends check their options with zod: the application's copy, if it has one
  const factory = BACKENDS[parsed.protocol];
  if (factory === undefined) {
    throw invalidArgument(
      'registry',
      `unsupported scheme "${parsed.protocol}" in "${url}" (expected one of ${Object.keys(BACKENDS).join(' ')})`,
    );
  }
  return factory(parsed, options, url.trim());
}

/** The schemes {@link openRegistry} understands, e.g. for `--help`. */
export function registrySchemes(): string[] {
  return Object.keys(BACKENDS);
}

/** The registry URL from `PROXIMA_REGISTRY`, else {@link DEFAULT_REGISTRY_URL}. */
export function registryUrlFromEnv(env: Readonly<Record<string, string | undefined>>): string {
  const value = env.PROXIMA_REGISTRY?.trim();
  return value === undefined || value === '' ? DEFAULT_REGISTRY_URL : value;
}

function parseRegistryUrl(url: unknown): URL {
  if (typeof url !== 'string' || url.trim() === '')
    throw invalidArgument('registry', 'expected a registry URL');
  try {
    return new URL(url.trim());
  } catch {
    // Several hosts (etcd://h1:2379,h2:2379) do not fit WHATWG URL: keep the first for the scheme
    // and credentials; the backend reads the whole list from the raw string.
    const firstHost = url.trim().replace(/^([a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?[^,/?#]*),[^/?#]*/i, '$1');
    if (firstHost !== url.trim() && URL.canParse(firstHost)) return new URL(firstHost);
    throw invalidArgument('registry', `not a URL: "${url}" (e.g. memory:, http://127.0.0.1:7070)`);
  }
}
