import type { z } from 'zod';
import { invalidArgument, type ProximaError } from './errors.js';

/**
 * Parses `input` with a zod schema at a boundary. On failure, throws INVALID_ARGUMENT whose message
 * and `field` name the first offending field as a dotted path under `root`, e.g.
 * `instance.locality.zone: expected string, received number`.
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, root: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw zodToError(result.error, root);
}

/** Converts a zod error into an INVALID_ARGUMENT ProximaError naming the first bad field. */
export function zodToError(error: z.ZodError, root: string): ProximaError {
  const issue = error.issues[0];
  if (issue === undefined) return invalidArgument(root, 'invalid');
  const path = [root, ...issue.path.map(String)].filter((p) => p !== '').join('.');
  return invalidArgument(path || root, issue.message);
}
