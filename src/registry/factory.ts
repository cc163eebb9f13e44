import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Random } from '../core/random.js';
import type { Registry } from './registry.js';

/**
 * What {@link openRegistry} passes to every backend. Backends take what they need and ignore the
 * rest; later issues add fields (token, TLS) here, additively.
 */
export interface OpenRegistryOptions {
  /** Time for leases, timeouts and reconnect backoff (default: the system clock). */
  readonly clock?: Clock;
  /** Jitter for reconnect backoff (default: `Math.random`). */
  readonly random?: Random;
  /** Cancels the opening (connecting, first handshake). */
  readonly signal?: AbortSignal;
  /**
   * Environment the backend may read its settings from (default `process.env`): the etcd backend
   * reads `PROXIMA_ETCD_USER` / `PROXIMA_ETCD_PASSWORD` and, for `?tls=1` URLs, `PROXIMA_TLS_*`.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where a backend reports data it skips (etcd: values and keys that are not instances). Default: silent. */
  readonly logger?: Logger;
  /** Bearer token for the registry server (`http(s)://`). Default `PROXIMA_TOKEN`. */
  readonly token?: string;
}

/**
 * One backend's entry in the URL-scheme table of `open.ts`: opens a registry client for a URL of
 * its scheme. The URL has been parsed already; the backend validates the rest (hosts, paths).
 * `raw` is the URL as given: the only complete form of a several-host URL
 * (`etcd://h1:2379,h2:2379`), which WHATWG `URL` parses with its first host only.
 */
export type RegistryFactory = (url: URL, options: OpenRegistryOptions, raw: string) => Promise<Registry>;
