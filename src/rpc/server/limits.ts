import { readFileSync } from 'node:fs';
import { lazySchema } from '../../core/zod.js';
import { parseWith } from '../../core/validate.js';
import { outboundLimitFields, resolveOutboundLimits } from '../wire/outbound-limits.js';

/**
 * What one client may hold of a server: every buffer, timer and table a peer can grow has a bound
 * here, with a default that suits one machine. Documented in the README's configuration table and
 * in `docs/reliability.md`.
 */
export interface ServerLimits {
  /** Bytes queued for one connection above which the server stops reading it; default 8 MiB. */
  readonly outboundHighWaterBytes: number;
  /** Bytes queued for one connection above which it is closed (GOAWAY RESOURCE_EXHAUSTED); default 64 MiB. */
  readonly outboundHardCapBytes: number;
  /** How long a connection may stay above the high-water mark before it is closed; default 30 s. */
  readonly drainGraceMs: number;
  /** Calls in progress on one connection; more are refused RESOURCE_EXHAUSTED, unprocessed. Default 1,000. */
  readonly maxConcurrentStreams: number;
  /** Calls in progress on the whole server; more are refused RESOURCE_EXHAUSTED, unprocessed. Default 10,000. */
  readonly maxInFlightCalls: number;
  /** Open connections; the next one gets GOAWAY RESOURCE_EXHAUSTED at once. Default min(10,000, 80% of the fd limit). */
  readonly maxConnections: number;
  /** A frame started but not finished within this closes the connection; default 10 s. */
  readonly frameReadTimeoutMs: number;
  /** A connection that sends nothing valid within this after connecting is closed; default 10 s. */
  readonly firstFrameTimeoutMs: number;
  /** A connection with no calls and no frames (PINGs count) for this long is closed; default 5 min. */
  readonly idleTimeoutMs: number;
}

/** The options form: every field optional. */
export type ServerLimitsInput = Partial<ServerLimits>;

const count = lazySchema((z) => z.number().int().positive());
const ms = lazySchema((z) => z.number().int().positive());

const schema = lazySchema((z) =>
  z
    .object({
      ...outboundLimitFields(),
      maxConcurrentStreams: count().optional(),
      maxInFlightCalls: count().optional(),
      maxConnections: count().optional(),
      frameReadTimeoutMs: ms().optional(),
      firstFrameTimeoutMs: ms().optional(),
      idleTimeoutMs: ms().optional(),
    })
    .strict(),
);

/**
 * The soft limit on open files of this process (Linux `/proc/self/limits`), or undefined where it
 * cannot be read. Connections past it would fail the process's own files and outbound sockets.
 */
export function openFileLimit(
  read: () => string = () => readFileSync('/proc/self/limits', 'utf8'),
): number | undefined {
  try {
    const line = read()
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The default connection cap: 10,000, or 80% of the fd limit when that is lower. */
export function defaultMaxConnections(fdLimit = openFileLimit()): number {
  return fdLimit === undefined ? 10_000 : Math.max(1, Math.min(10_000, Math.floor(fdLimit * 0.8)));
}

/**
 * Validates `input` (field names under `root`, e.g. `limits.maxConnections`) and fills defaults.
 * Throws INVALID_ARGUMENT naming the field.
 */
export function resolveServerLimits(input: unknown, root = 'limits'): ServerLimits {
  const o = parseWith(schema(), input ?? {}, root);
  const limits: ServerLimits = {
    ...resolveOutboundLimits(o, root),
    maxConcurrentStreams: o.maxConcurrentStreams ?? 1_000,
    maxInFlightCalls: o.maxInFlightCalls ?? 10_000,
    maxConnections: o.maxConnections ?? defaultMaxConnections(),
    frameReadTimeoutMs: o.frameReadTimeoutMs ?? 10_000,
    firstFrameTimeoutMs: o.firstFrameTimeoutMs ?? 10_000,
    idleTimeoutMs: o.idleTimeoutMs ?? 300_000,
  };
  return limits;
}
