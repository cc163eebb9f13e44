import type { z } from 'zod';
import { lazySchema } from '../core/zod.js';
import type { Clock } from '../core/clock.js';
import { invalidArgument } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { parseWith } from '../core/validate.js';
import type { RegistryChecksOptions } from './checks/registry-checks.js';
import type { ConnectionLimitsInput } from './connection-limits.js';
import type { AclInput } from './security/acl.js';
import { limitsSchema, type LimitsInput } from './security/limits.js';
import type { AuthPolicy, TlsOptions } from './seams.js';

/** Options of {@link startRegistryServer}. Everything has a default that works on one machine. */
export interface RegistryServerOptions {
  /** Interface to bind. Default `127.0.0.1`. */
  readonly host?: string;
  /** TCP port; 0 picks a free one. Default 7070. */
  readonly port?: number;
  readonly clock?: Clock;
  /** pino, or any {@link Logger}. Default: a pino logger on stdout (JSON lines) at `info`. */
  readonly logger?: Logger;
  /**
   * Events of history kept for watch resume (default 10 000); older resumes get a `reset`.
   * Leases need no sweep interval: each expires on its own timer, exactly at its TTL.
   */
  readonly historyLimit?: number;
  /** Largest accepted request body. Default 64 KiB; larger bodies get 413. */
  readonly maxBodyBytes?: number;
  /** Interval of SSE heartbeat comments on watch streams. Default 10 s. */
  readonly heartbeatMs?: number;
  /**
   * Enables `POST /v1/admin/compact` (drops watch history), for tests. Off by default.
   */
  readonly admin?: boolean;
  /**
   * The token ACL: a JSON file path (re-read by `server.reloadAcl()`, e.g. on SIGHUP) or the value
   * itself (`{ anonymous, tokens: [{ name, token, admin, rules, limits }] }`, see
   * `docs/security.md`). Without it (and without `auth`) the server is open to every client.
   */
  readonly acl?: string | AclInput;
  /** A custom authentication policy instead of `acl`. Default: everyone may do everything. */
  readonly auth?: AuthPolicy;
  /** HTTPS (with `ca`: mTLS, client certificates required); default plain HTTP. */
  readonly tls?: TlsOptions;
  /**
   * Also serve the registry over xDS (ADS) on this port, for stock gRPC clients (docs/xds.md), with
   * the registry's TLS settings. Needs the optional peer dependency `@grpc/grpc-js-xds`.
   */
  readonly xds?: RegistryXdsOptions;
  /** Registry-side health checks of every instance (Consul-style). Off by default: see docs/scale.md. */
  readonly checks?: RegistryChecksOptions;
  /**
   * Default limits per identity (token, or client address without ACLs): leases 1,000, instances
   * per lease 1,000, TTL 1 s..1 h, 200 requests/s (burst 400), 2,000 keep-alives/s (burst
   * 4,000). ACL entries override them per token. `requestsPerSecond: 0` turns the rate off.
   */
  readonly limits?: LimitsInput;
  /**
   * Bounds on connections (a slowloris must not hold the server): at most `maxConnections` open
   * (default min(10,000, 80% of the fd limit)) and `maxConnectionsPerAddress` from one client
   * address (default 2,000; raise it when many clients reach the registry through one NAT or
   * proxy); headers within `headersTimeoutMs` (default 10 s) and the whole request within
   * `requestTimeoutMs` (default 30 s) of its start, else 408 and close.
   */
  readonly connections?: ConnectionLimitsInput;
  /**
   * Host names the `Host` header may carry (else 421), or `['*']` for any. Default: the bind
   * address, plus `localhost`, `127.0.0.1`, `::1` when bound to loopback; any for `0.0.0.0`/`::`.
   */
  readonly allowedHosts?: readonly string[];
}

/** The xDS port of the registry server: where it listens and its bounds (see `XdsLimitsInput`). */
export interface RegistryXdsOptions {
  /** Default: the registry's host. */
  readonly host?: string;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  readonly maxClients?: number;
  readonly maxResourceNames?: number;
  readonly maxServices?: number;
  readonly maxQueuedResponses?: number;
  readonly maxRequestBytes?: number;
  readonly retryOn?: readonly (
    'cancelled' | 'deadline-exceeded' | 'internal' | 'resource-exhausted' | 'unavailable'
  )[];
  readonly numRetries?: number;
}

export const DEFAULT_PORT = 7070;
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
export const DEFAULT_HEARTBEAT_MS = 10_000;

const numericOptionsSchema = lazySchema((z) =>
  z.object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(DEFAULT_PORT),
    historyLimit: z.number().int().min(1).optional(),
    maxBodyBytes: z.number().int().min(256).default(DEFAULT_MAX_BODY_BYTES),
    heartbeatMs: z.number().positive().default(DEFAULT_HEARTBEAT_MS),
    limits: limitsSchema().optional(),
    allowedHosts: z.array(z.string().min(1).max(255)).max(1000).optional(),
  }),
);

export type CheckedOptions = z.output<ReturnType<typeof numericOptionsSchema>>;

/** Validates the plain options (INVALID_ARGUMENT naming `options.port` etc.) and fills defaults. */
export function checkOptions(options: RegistryServerOptions): CheckedOptions {
  const { host, port, historyLimit, maxBodyBytes, heartbeatMs, limits, allowedHosts } = options;
  if (options.acl !== undefined && options.auth !== undefined) {
    throw invalidArgument('options.acl', 'give either acl or auth, not both');
  }
  return parseWith(
    numericOptionsSchema(),
    { host, port, historyLimit, maxBodyBytes, heartbeatMs, limits, allowedHosts },
    'options',
  );
}
