import { lazySchema } from '../../core/zod.js';
import { type Clock, sleep } from '../../core/clock.js';
import { invalidArgument } from '../../core/errors.js';
import { parseWith } from '../../core/validate.js';
import { type CheckState, type CheckThresholds, INITIAL_CHECK_STATE, nextCheckState } from './check-state.js';
import { httpProbe, type Probe, tcpProbe } from './probes.js';

/**
 * An agent-side health check of the service behind a registration (`proxima register --check`,
 * `createServer({ register: { check } })`): after `unhealthyAfter` misses in a row the instance is
 * marked DOWN in the registry (still listed, no longer routed); after `healthyAfter` passes, UP again.
 */
export interface HealthCheckOptions {
  /**
   * What to check: an `http://` / `https://` URL (a 2xx answer passes), `tcp` (connect to the
   * instance's own address), `tcp://HOST:PORT`, or a function that resolves when healthy.
   */
  readonly target: string | ((signal: AbortSignal) => Promise<unknown>);
  /** Time between checks, ms (default 5 s). */
  readonly intervalMs?: number;
  /** A check not done within this is a miss, ms (default 1 s). */
  readonly timeoutMs?: number;
  /** Misses in a row that mark the instance DOWN (default 3). */
  readonly unhealthyAfter?: number;
  /** Passes in a row that mark it UP again (default 2). */
  readonly healthyAfter?: number;
}

export const DEFAULT_CHECK_INTERVAL_MS = 5_000;
export const DEFAULT_CHECK_TIMEOUT_MS = 1_000;

const count = lazySchema((z) => z.number().int('must be an integer').min(1).max(100));
const checkSchema = lazySchema((z) =>
  z
    .object({
      target: z.union([
        z.custom<(signal: AbortSignal) => Promise<unknown>>((v) => typeof v === 'function'),
        z
          .string()
          .refine(
            (s) => s === 'tcp' || /^(https?|tcp):\/\/[^/]+/.test(s),
            'expected an http(s):// URL, tcp or tcp://HOST:PORT',
          ),
      ]),
      intervalMs: z.number().int().min(10).max(3_600_000).optional(),
      timeoutMs: z.number().int().min(1).max(600_000).optional(),
      unhealthyAfter: count().optional(),
      healthyAfter: count().optional(),
    })
    .strict(),
);

/** Checked options with defaults and the probe to run. */
export interface ResolvedHealthCheck extends CheckThresholds {
  readonly describe: string;
  readonly probe: Probe;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/** Validates a check (INVALID_ARGUMENT naming `root.target` …); `tcp` probes `ownAddress`. */
export function resolveHealthCheck(options: unknown, root: string, ownAddress: string): ResolvedHealthCheck {
  const o = parseWith(checkSchema(), options, root);
  const t = o.target;
  let probe: Probe;
  let describe: string;
  if (typeof t === 'function') {
    probe = async (signal) => void (await t(signal));
    describe = 'function';
  } else if (t === 'tcp' || t.startsWith('tcp://')) {
    const address = t === 'tcp' ? ownAddress : t.slice('tcp://'.length).replace(/\/+$/, '');
    try {
      probe = tcpProbe(address);
    } catch (error) {
      throw invalidArgument(`${root}.target`, (error as Error).message);
    }
    describe = `tcp ${address}`;
  } else {
    probe = httpProbe(t);
    describe = `GET ${t}`;
  }
  const intervalMs = o.intervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
  return {
    describe,
    probe,
    intervalMs,
    timeoutMs: Math.min(o.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS, intervalMs),
    unhealthyAfter: o.unhealthyAfter ?? 3,
    healthyAfter: o.healthyAfter ?? 2,
  };
}

/** One finished check, for logs and tests. */
export interface CheckResult {
  readonly passed: boolean;
  /** Why it missed. */
  readonly reason: string | undefined;
  readonly state: CheckState;
}

/**
 * Runs a check every `intervalMs` on `clock` (the first at once) until `stop` aborts, feeding the
 * state machine and calling `onResult` after each check; a check that outlives `timeoutMs` is a
 * miss (and is aborted). Returns when stopped.
 */
export async function runHealthChecks(
  check: ResolvedHealthCheck,
  clock: Clock,
  stop: AbortSignal,
  onResult: (result: CheckResult) => void,
): Promise<void> {
  let state: CheckState = INITIAL_CHECK_STATE;
  while (!stop.aborted) {
    const outcome = await once(check, clock, stop);
    if (stop.aborted) return;
    state = nextCheckState(state, outcome === undefined, check);
    onResult({ passed: outcome === undefined, reason: outcome, state });
    try {
      await sleep(clock, check.intervalMs, stop);
    } catch {
      return;
    }
  }
}

/** One check: undefined when it passed, else why not. */
async function once(
  check: ResolvedHealthCheck,
  clock: Clock,
  stop: AbortSignal,
): Promise<string | undefined> {
  const controller = new AbortController();
  const onStop = (): void => controller.abort();
  stop.addEventListener('abort', onStop, { once: true });
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = clock.setTimeout(() => {
      controller.abort();
      resolve(`timed out after ${check.timeoutMs} ms`);
    }, check.timeoutMs);
  });
  try {
    return await Promise.race([
      check.probe(controller.signal).then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      ),
      timedOut,
    ]);
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
    stop.removeEventListener('abort', onStop);
  }
}
