import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { parseWith } from '../core/validate.js';
import type { RegistryChecksOptions } from './checks/registry-checks.js';
import type { AuthPolicy, RateLimiter, TlsOptions } from './seams.js';

/** Options of {@link startRegistryServer}. Everything has a default that works on one machine. */
export interface RegistryServerOptions {
  /** Interface to bind. Default `127.0.0.1`. */
  readonly host?: string;
  /** TCP port; 0 picks a free one. Default 7070. */
  readonly port?: number;
  readonly clock?: Clock;
  /** pino logger (JSON lines). Default: a pino logger on stdout at `info`. */
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
  /** Token auth seam; default allows everything. */
  readonly auth?: AuthPolicy;
  /** HTTPS seam; default plain HTTP. */
  readonly tls?: TlsOptions;
  /** Rate limit seam; default unlimited. */
  readonly rateLimit?: RateLimiter;
  /**
   * Also serve the registry over xDS (ADS) on this port, for stock gRPC clients (docs/xds.md), with
   * the registry's TLS settings. Needs the optional peer dependency `@grpc/grpc-js-xds`.
   */
  readonly xds?: RegistryXdsOptions;
  /** Registry-side health checks of every instance (Consul-style). Off by default: see docs/scale.md. */
  readonly checks?: RegistryChecksOptions;
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

const numericOptionsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(DEFAULT_PORT),
  historyLimit: z.number().int().min(1).optional(),
  maxBodyBytes: z.number().int().min(256).default(DEFAULT_MAX_BODY_BYTES),
  heartbeatMs: z.number().positive().default(DEFAULT_HEARTBEAT_MS),
});

export type CheckedOptions = z.output<typeof numericOptionsSchema>;

/** Validates the plain options (INVALID_ARGUMENT naming `options.port` etc.) and fills defaults. */
export function checkOptions(options: RegistryServerOptions): CheckedOptions {
  const { host, port, historyLimit, maxBodyBytes, heartbeatMs } = options;
  return parseWith(numericOptionsSchema, { host, port, historyLimit, maxBodyBytes, heartbeatMs }, 'options');
}
