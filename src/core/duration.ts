import { invalidArgument } from './errors.js';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/**
 * Parses a duration such as `500ms`, `5s`, `1.5m` or a bare number of milliseconds, for CLI flags,
 * env and config. Throws INVALID_ARGUMENT naming `field` on anything else.
 */
export function parseDuration(value: string | number, field = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw invalidArgument(field, `expected a non-negative duration, got ${value}`);
    return value;
  }
  const match = PATTERN.exec(value.trim());
  if (!match) throw invalidArgument(field, `expected a duration like 500ms, 5s or 1m, got "${value}"`);
  const amount = Number(match[1]);
  const unit = UNITS[match[2] ?? 'ms'] ?? 1;
  return amount * unit;
}

/** Formats milliseconds for people: `850ms`, `4.2s`, `3m10s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m${seconds}s`;
}
