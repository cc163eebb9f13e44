import { localitySchema } from '../../core/locality.js';
import type { MetadataResponse } from '../http-get.js';
import type { PartialLocality, SourceAnswer } from '../topology.js';

/** Thrown inside a source for an answer it cannot use; the message goes into the report. */
export class GarbageAnswer extends Error {}

/** A region or zone name as a locality field takes it, or a {@link GarbageAnswer} quoting it. */
export function checkedName(value: string, what: string): string {
  const trimmed = value.trim();
  if (!localitySchema().shape.zone.safeParse(trimmed).success || trimmed === '')
    throw new GarbageAnswer(`garbage ${what} ${quote(trimmed)}`);
  return trimmed;
}

/** Requires a 200; a 404 and friends are a failure naming the status. */
export function ok(res: MetadataResponse, what: string): string {
  if (res.status !== 200) throw new Error(`${what}: HTTP ${res.status}`);
  return res.body;
}

/** A found answer, or empty when the source knew neither region nor zone. */
export function foundOrEmpty(locality: PartialLocality, detail: string): SourceAnswer {
  return locality.region || locality.zone ? { kind: 'found', locality, detail } : { kind: 'empty', detail };
}

/** Any error of a source as its report entry. */
export function failure(error: unknown): SourceAnswer {
  return { kind: 'failed', detail: error instanceof Error ? error.message : String(error) };
}

/** At most 60 characters of an answer, for messages. */
export function quote(value: string): string {
  const flat = value.replace(/\s+/g, ' ');
  return JSON.stringify(flat.length > 60 ? `${flat.slice(0, 57)}...` : flat);
}
