import { lazySchema } from '../../core/zod.js';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Instance } from '../../core/instance.js';
import type { Logger } from '../../core/logger.js';
import { parseWith } from '../../core/validate.js';
import { type CheckState, INITIAL_CHECK_STATE, nextCheckState } from '../../registrar/checks/check-state.js';
import { httpProbe, type Probe, tcpProbe } from '../../registrar/checks/probes.js';
import type { RegistryState } from '../state.js';

/**
 * Registry-side checks (Consul-style): the registry itself checks every registered instance — a
 * TCP connect to its address, or `GET http://ADDRESS/PATH` when the instance's metadata has
 * `proxima.check: /PATH` — and marks it DOWN after `unhealthyAfter` misses in a row, UP after
 * `healthyAfter` passes. Off by default: it costs the registry one connection per instance per
 * interval (docs/scale.md), and it makes the registry open connections to addresses registrants
 * chose, so turn it on only where registrants are trusted.
 */
export interface RegistryChecksOptions {
  /** Time between rounds, ms (default 10 s). */
  readonly intervalMs?: number;
  /** A check slower than this is a miss, ms (default 2 s). */
  readonly timeoutMs?: number;
  readonly unhealthyAfter?: number;
  readonly healthyAfter?: number;
  /** Checks in flight at once (default 64): a round over 100k instances must not open 100k sockets. */
  readonly concurrency?: number;
}

const optionsSchema = lazySchema((z) =>
  z
    .object({
      intervalMs: z.number().int().min(100).max(3_600_000).optional(),
      timeoutMs: z.number().int().min(1).max(600_000).optional(),
      unhealthyAfter: z.number().int().min(1).max(100).optional(),
      healthyAfter: z.number().int().min(1).max(100).optional(),
      concurrency: z.number().int().min(1).max(10_000).optional(),
    })
    .strict(),
);

/** The metadata key naming an HTTP path to check instead of a TCP connect. */
export const CHECK_METADATA_KEY = 'proxima.check';

interface Tracked {
  readonly address: string;
  state: CheckState;
  /** The check set DOWN (so only the check lifts it). */
  downByCheck: boolean;
}

/**
 * Validates the options (INVALID_ARGUMENT naming `options.checks.…`) before the server listens;
 * `start()` begins the rounds, `close()` stops them (a round in flight finishes its open checks).
 */
export function registryChecks(
  state: RegistryState,
  options: RegistryChecksOptions,
  clock: Clock,
  logger: Logger,
): { start(): void; close(): void } {
  const o = parseWith(optionsSchema(), options, 'options.checks');
  const t = {
    intervalMs: o.intervalMs ?? 10_000,
    timeoutMs: o.timeoutMs ?? 2_000,
    unhealthyAfter: o.unhealthyAfter ?? 3,
    healthyAfter: o.healthyAfter ?? 2,
    concurrency: o.concurrency ?? 64,
  };
  // Keyed by instance; pruned every round to the instances registered now, so bounded by the registry.
  const tracked = new Map<string, Tracked>();
  let timer: TimerHandle | undefined;
  let closed = false;

  const checkOne = async (instance: Instance): Promise<void> => {
    const key = `${instance.service}/${instance.id}`;
    let entry = tracked.get(key);
    if (entry === undefined || entry.address !== instance.address) {
      entry = { address: instance.address, state: INITIAL_CHECK_STATE, downByCheck: false };
      tracked.set(key, entry);
    }
    const reason = await probeOnce(probeFor(instance), t.timeoutMs, clock);
    const before = entry.state.kind;
    entry.state = nextCheckState(entry.state, reason === undefined, t);
    if (entry.state.kind === before || closed) return;
    const status = entry.state.kind === 'healthy' ? 'UP' : 'DOWN';
    const current = state.list(instance.service).instances.find((i) => i.id === instance.id);
    if (current === undefined || current.status === 'DRAINING') return;
    if (status === 'UP' ? !entry.downByCheck : current.status === 'DOWN') return;
    const owner = state.store.ownerOf(instance.service, instance.id);
    if (owner === undefined) return;
    try {
      state.store.patch(instance.service, instance.id, owner, { status });
      entry.downByCheck = status === 'DOWN';
      logger.warn(
        { instance: key, address: instance.address, reason, status },
        `registry check: marking ${status}`,
      );
    } catch (error) {
      logger.debug({ instance: key, err: error }, 'registry check: instance changed meanwhile');
    }
  };

  const round = async (): Promise<void> => {
    const instances = state.services().flatMap((s) => state.list(s).instances);
    const live = new Set(instances.map((i) => `${i.service}/${i.id}`));
    for (const key of tracked.keys()) if (!live.has(key)) tracked.delete(key);
    const queue = instances.filter((i) => i.status !== 'DRAINING');
    const workers = Array.from({ length: Math.min(t.concurrency, queue.length) }, async () => {
      for (let next = queue.shift(); next !== undefined && !closed; next = queue.shift())
        await checkOne(next);
    });
    await Promise.all(workers);
  };

  const schedule = (): void => {
    if (closed) return;
    timer = clock.setTimeout(() => {
      // Rounds never overlap: the next is scheduled when this one is done.
      void round().finally(schedule);
    }, t.intervalMs);
    timer.unref?.();
  };
  return {
    start: schedule,
    close: () => {
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
    },
  };
}

function probeFor(instance: Instance): Probe {
  const path = instance.metadata[CHECK_METADATA_KEY];
  // Only a path on the instance's own address: never a URL a registrant could point elsewhere.
  if (path !== undefined && /^\/[\x21-\x7e]*$/.test(path))
    return httpProbe(`http://${instance.address}${path}`);
  return tcpProbe(instance.address);
}

async function probeOnce(probe: Probe, timeoutMs: number, clock: Clock): Promise<string | undefined> {
  const controller = new AbortController();
  let timer: TimerHandle | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = clock.setTimeout(() => {
      controller.abort();
      resolve(`timed out after ${timeoutMs} ms`);
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      probe(controller.signal).then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      ),
      timedOut,
    ]);
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
  }
}
