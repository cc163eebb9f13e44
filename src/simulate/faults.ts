import type { z } from 'zod';
import { lazySchema } from '../core/zod.js';
import { durationMsSchema } from '../health/options.js';

/** A zone, a region or one instance id (`ZONE-INDEX`). */
const target = lazySchema((z) => z.string().min(1).max(100));

/**
 * Scripted faults, applied at virtual time `at` (from the start of the run):
 * - `kill`: the instances stop at once (calls in flight fail, new connections are refused); the
 *   registry drops them `discovery.deadAfter` later, as a lease would expire.
 * - `recover`: undoes kill, slow and drain; the instances register again.
 * - `slow`: every call on the instances takes `addMs` longer.
 * - `drain`: the instances turn DRAINING: they finish what they have and refuse new calls.
 * - `overload`: the callers in `zone` send `factor` × their configured rate (1 restores it).
 */
export const faultSchema = lazySchema((z) => {
  const at = durationMsSchema();
  return z.discriminatedUnion('action', [
    z.object({ at, action: z.literal('kill'), target: target() }).strict(),
    z.object({ at, action: z.literal('recover'), target: target() }).strict(),
    z
      .object({ at, action: z.literal('slow'), target: target(), addMs: z.number().min(0).max(3_600_000) })
      .strict(),
    z.object({ at, action: z.literal('drain'), target: target() }).strict(),
    z
      .object({
        at,
        action: z.literal('overload'),
        zone: z.string().min(1),
        factor: z.number().min(0).max(1000),
      })
      .strict(),
  ]);
});

export type Fault = z.output<ReturnType<typeof faultSchema>>;

/** What faults act on: the simulated world. */
export interface FaultWorld {
  /** Instance ids a target names (a zone, a region or one id). */
  resolve(target: string): readonly string[];
  kill(ids: readonly string[]): void;
  recover(ids: readonly string[]): void;
  slow(ids: readonly string[], addMs: number): void;
  drain(ids: readonly string[]): void;
  overload(zone: string, factor: number): void;
}

/** Applies one fault to the world now. */
export function applyFault(world: FaultWorld, fault: Fault): void {
  switch (fault.action) {
    case 'kill':
      world.kill(world.resolve(fault.target));
      return;
    case 'recover':
      world.recover(world.resolve(fault.target));
      return;
    case 'slow':
      world.slow(world.resolve(fault.target), fault.addMs);
      return;
    case 'drain':
      world.drain(world.resolve(fault.target));
      return;
    case 'overload':
      world.overload(fault.zone, fault.factor);
      return;
  }
}

/** One line for reports: `10s kill eu-a`. */
export function describeFault(fault: Fault): string {
  const when = `${fault.at / 1000}s`;
  switch (fault.action) {
    case 'slow':
      return `${when} slow ${fault.target} +${fault.addMs}ms`;
    case 'overload':
      return `${when} overload ${fault.zone} ×${fault.factor}`;
    default:
      return `${when} ${fault.action} ${fault.target}`;
  }
}
