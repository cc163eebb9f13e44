import { parseDuration } from '../duration.js';
import { invalidArgument } from '../errors.js';

/** Flag value parsers: each throws INVALID_ARGUMENT naming the flag. */

/** An integer in `[min, max]`. */
export function parseIntFlag(value: string, flag: string, min: number, max: number): number {
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw invalidArgument(flag, `expected an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** A TCP port; `allowZero` for "pick a free one". */
export function parsePortFlag(value: string, flag: string, allowZero = false): number {
  return parseIntFlag(value, flag, allowZero ? 0 : 1, 65_535);
}

/** A positive duration such as `500ms`, `5s`, `1m`. */
export function parseDurationFlag(value: string, flag: string): number {
  const ms = parseDuration(value, flag);
  if (ms <= 0) throw invalidArgument(flag, `expected a positive duration, got "${value}"`);
  return ms;
}

/** Repeated `k=v` pairs into a record; a key given twice is an error. */
export function parsePairsFlag(values: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of values) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw invalidArgument(flag, `expected KEY=VALUE, got "${pair}"`);
    const key = pair.slice(0, eq);
    if (Object.hasOwn(out, key)) throw invalidArgument(flag, `key "${key}" given more than once`);
    out[key] = pair.slice(eq + 1);
  }
  return out;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LEVELS)[number];

/** A pino level name. */
export function parseLogLevel(value: string, flag: string): LogLevel {
  const level = LEVELS.find((l) => l === value.trim().toLowerCase());
  if (level === undefined)
    throw invalidArgument(flag, `expected one of ${LEVELS.join(', ')}, got "${value}"`);
  return level;
}
