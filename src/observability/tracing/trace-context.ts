import { randomFillSync } from 'node:crypto';

/**
 * A W3C Trace Context (https://www.w3.org/TR/trace-context/): the span that is current where code
 * runs. `traceId` (32 hex) names the whole trace, `spanId` (16 hex) this span, `flags` the
 * trace-flags byte (bit 0: sampled); `state` is the opaque `tracestate` header, passed on as is.
 */
export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly flags: number;
  readonly state?: string | undefined;
}

/** The metadata keys the context travels under (the W3C header names, lower case). */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

/** Bit 0 of trace-flags: the caller records this trace. */
export const SAMPLED_FLAG = 0x01;

const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
// tracestate: at most 32 comma-separated members, at most 512 characters (the spec allows dropping
// it when longer); values are printable ASCII without ',' or '='.
const TRACESTATE_MAX = 512;
const TRACESTATE_RE = /^[\x20-\x7e]*$/;

/**
 * Parses a `traceparent` value (and an optional `tracestate`). Returns undefined for anything the
 * spec says to ignore: wrong shape, upper-case hex, version ff, all-zero ids, extra fields on
 * version 00. A
 * receiver that gets undefined starts a new trace.
 *
 * @example
 * ```ts
 * parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
 * // { traceId: '4bf9…4736', spanId: '00f0…02b7', flags: 1, state: undefined }
 * ```
 */
export function parseTraceparent(
  traceparent: string | undefined,
  tracestate?: string | undefined,
): TraceContext | undefined {
  if (traceparent === undefined) return undefined;
  // Lower-case hex only: the W3C spec (and OpenTelemetry) treat upper case as an invalid header.
  const m = TRACEPARENT_RE.exec(traceparent.trim());
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, flags: Number.parseInt(flags, 16), state: cleanTracestate(tracestate) };
}

/** Formats the `traceparent` value of `context` (always version 00). */
export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${(context.flags & 0xff).toString(16).padStart(2, '0')}`;
}

/** A tracestate worth forwarding, or undefined when absent, too long or not printable ASCII. */
function cleanTracestate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > TRACESTATE_MAX || !TRACESTATE_RE.test(trimmed)) return undefined;
  return trimmed;
}

/**
 * Makes trace and span ids. Injected so tests get predictable ids; the default draws from the
 * operating system's CSPRNG (ids must be unique across processes, which a seeded PRNG is not).
 */
export interface IdGenerator {
  /** 16 random bytes as 32 lower-case hex characters, never all zero. */
  traceId(): string;
  /** 8 random bytes as 16 lower-case hex characters, never all zero. */
  spanId(): string;
}

/**
 * An {@link IdGenerator} over `crypto.randomFillSync`, drawing 4 KiB at a time (one system call per
 * ~170 spans instead of one per id). Each generator owns its pool: make one per tracer.
 */
export function randomIds(): IdGenerator {
  const pool = Buffer.allocUnsafe(4096);
  let offset = pool.length;
  const hex = (bytes: number, zero: string): string => {
    for (;;) {
      if (offset + bytes > pool.length) {
        randomFillSync(pool);
        offset = 0;
      }
      const id = pool.toString('hex', offset, offset + bytes);
      offset += bytes;
      if (id !== zero) return id;
    }
  };
  return { traceId: () => hex(16, ZERO_TRACE), spanId: () => hex(8, ZERO_SPAN) };
}
