import type { Locality } from '../core/locality.js';

/** Where a process can learn its place, in the default lookup order. */
export const TOPOLOGY_SOURCES = ['env', 'kubernetes', 'aws', 'gcp', 'azure'] as const;
export type TopologySourceName = (typeof TOPOLOGY_SOURCES)[number];

/** The fields a source may know; a field left out (or `''`) is one it does not know. */
export type PartialLocality = { readonly [K in keyof Locality]?: string | undefined };

/**
 * What one source answered: a (possibly partial) locality, nothing, a failure, or not asked at
 * all (disabled, or not needed because earlier sources already knew region and zone).
 */
export type SourceAnswer =
  | { readonly kind: 'found'; readonly locality: PartialLocality; readonly detail: string }
  | { readonly kind: 'empty'; readonly detail: string }
  | { readonly kind: 'failed'; readonly detail: string }
  | { readonly kind: 'skipped'; readonly detail: string };

/** One source and its answer, in lookup order. */
export interface SourceReport {
  readonly source: TopologySourceName | 'options';
  readonly answer: SourceAnswer;
}

/**
 * The outcome of a topology lookup: the locality, whether its zone is known, and what every
 * source answered (what the unknown-zone warning, `explain()` and the dashboard show).
 */
export interface TopologyReport {
  readonly locality: Locality;
  /** True when the zone (and so same-zone routing) is known. */
  readonly known: boolean;
  readonly sources: readonly SourceReport[];
}

/** A network source: asked only when enabled, bounded by `signal`. */
export interface TopologySource {
  readonly name: TopologySourceName;
  lookup(signal: AbortSignal): Promise<SourceAnswer>;
}

/** `aws: timed out; gcp: zone us-central1-a` — one line for logs and `explain()`. */
export function formatSources(sources: readonly SourceReport[]): string {
  return sources
    .map((s) => `${s.source}: ${s.answer.kind === 'found' ? '' : `${s.answer.kind}, `}${s.answer.detail}`)
    .join('; ');
}
