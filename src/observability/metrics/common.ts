import type { Registry } from 'prom-client';
import { lazySchema } from '../../core/zod.js';
import { ErrorCode } from '../../core/errors.js';
import { parseWith } from '../../core/validate.js';
import type { Cell, CounterFamily } from './cells.js';

/**
 * Latency buckets in seconds, 0.5 ms to 10 s: loopback RPCs land in the first buckets, cross-region
 * calls and timeouts in the last ones.
 */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** What every metrics factory takes besides the registry. */
export interface MetricsOptions {
  /** Prepended to every metric name (default `proxima_`). */
  readonly prefix?: string;
  /** Histogram buckets, seconds (default {@link LATENCY_BUCKETS}). */
  readonly buckets?: readonly number[];
}

// Codes are the label values; an unexpected code (a newer peer) must not open a new series per value.
const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** The `code` label of a call: `OK`, a ProximaError code, or `UNKNOWN` for anything else. */
export function codeLabel(error: { readonly code: string } | undefined): string {
  if (error === undefined) return 'OK';
  return CODES.has(error.code) ? error.code : ErrorCode.UNKNOWN;
}

/** `service.method` split for labels (the service part is empty for a name without a dot). */
export function splitWireName(wire: string): { service: string; method: string } {
  const dot = wire.lastIndexOf('.');
  return dot < 0
    ? { service: '', method: wire }
    : { service: wire.slice(0, dot), method: wire.slice(dot + 1) };
}

/** The registry's exposition, ready to send: body and content type (what a `/metrics` handler needs). */
export async function exposition(registry: Registry): Promise<{ body: string; contentType: string }> {
  return { body: await registry.metrics(), contentType: registry.contentType };
}

const optionsSchema = lazySchema((z) =>
  z.looseObject({
    prefix: z
      .string()
      .regex(/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/, 'a Prometheus metric name prefix: letters, digits, "_" or ":"')
      .optional(),
    buckets: z
      .array(z.number().positive().finite())
      .min(1)
      .refine((b) => b.every((x, i) => i === 0 || x > b[i - 1]!), 'bucket bounds must increase')
      .optional(),
  }),
);

/**
 * Validates the shared options (INVALID_ARGUMENT naming the field, e.g. `clientMetrics.buckets`)
 * and resolves metric names and buckets.
 */
export function resolveOptions(
  options: MetricsOptions,
  root: string,
): { name: (n: string) => string; buckets: number[] } {
  parseWith(optionsSchema(), options, root);
  const prefix = options.prefix ?? 'proxima_';
  return { name: (n) => `${prefix}${n}`, buckets: [...(options.buckets ?? LATENCY_BUCKETS)] };
}

/** Every value of the `code` label: `OK` then the ProximaError codes (index 0 is `OK`). */
export const CODE_LABELS: readonly string[] = ['OK', ...new Set(Object.values(ErrorCode))];
const CODE_INDEX = new Map(CODE_LABELS.map((code, i) => [code, i]));
const UNKNOWN_INDEX = CODE_INDEX.get(ErrorCode.UNKNOWN)!;

/** The index in {@link CODE_LABELS} of a call's outcome (a code a newer peer invented is UNKNOWN). */
export function codeIndex(error: { readonly code: string } | undefined): number {
  if (error === undefined) return 0;
  return CODE_INDEX.get(error.code) ?? UNKNOWN_INDEX;
}

/**
 * A counter's cells by result code for one label set, bound on the first call with each code (so
 * only codes that happened have series, and each is bound once).
 */
export class CodeCounter {
  private readonly cells: Array<Cell | undefined> = new Array<Cell | undefined>(CODE_LABELS.length);

  constructor(
    private readonly family: CounterFamily,
    private readonly labels: Readonly<Record<string, string>>,
  ) {}

  /** Counts one outcome. */
  add(error: { readonly code: string } | undefined): void {
    const i = codeIndex(error);
    let cell = this.cells[i];
    if (cell === undefined) {
      cell = this.family.bind({ ...this.labels, code: CODE_LABELS[i]! });
      this.cells[i] = cell;
    }
    cell.value++;
  }
}
