import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { lazySchema } from '../core/zod.js';
import { createClient } from '../client/client.js';
import { toProximaError } from '../core/errors.js';
import { onShutdownSignals } from '../core/signals.js';
import { parseWith } from '../core/validate.js';
import { EchoApi } from './echo-api.js';
import { LoadStats } from './load-stats.js';
import { DEMO_CLIENT_OPTIONS } from './client-options.js';
import { DEMO_SERVICE, placeLabel } from './topology.js';

/**
 * The demo's caller, as its own process: a Proxima client in one zone sending `rate` calls per
 * second (at most `maxInFlight` at once) to `echo`. Every window it prints one JSON line
 * ({@link LoadWindow}) for `proxima demo` and posts the same numbers, with the client's
 * `explain()` view of every endpoint, to the dashboard. It prints `{"event":"ready"}` once its
 * client is up and starts sending on a `start` line on stdin (so it can start while the fleet
 * does); a `phase NAME` line labels the following reports; closing stdin stops it.
 */
const argsSchema = lazySchema((z) =>
  z.object({
    registry: z.string().min(1),
    region: z.string().min(1),
    zone: z.string().min(1),
    rate: z.coerce.number().int().min(1).max(5_000),
    report: z.string().url().optional(),
    window: z.coerce.number().int().min(100),
    expect: z.coerce.number().int().min(0),
    'load-spill': z.enum(['on', 'off']),
  }),
);

const TICK_MS = 10;
const MAX_IN_FLIGHT = 256;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      registry: { type: 'string' },
      region: { type: 'string' },
      zone: { type: 'string' },
      rate: { type: 'string', default: '300' },
      report: { type: 'string' },
      window: { type: 'string', default: '1000' },
      expect: { type: 'string', default: '0' },
      'load-spill': { type: 'string', default: 'on' },
    },
    strict: true,
  });
  const args = parseWith(argsSchema(), values, 'args');
  const here = { region: args.region, zone: args.zone };
  const routing = { ...DEMO_CLIENT_OPTIONS.routing, loadSpill: { enabled: args['load-spill'] === 'on' } };
  const client = await createClient({
    ...DEMO_CLIENT_OPTIONS,
    routing,
    registry: args.registry,
    locality: here,
  });
  const echo = client.bind(EchoApi);
  await client.ready(DEMO_SERVICE);

  const stats = new LoadStats(`load-${process.pid}`, DEMO_SERVICE, placeLabel(here));
  let phase: string | undefined;
  let inFlight = 0;
  let sent = 0;
  let ticker: NodeJS.Timeout | undefined;
  let reporter: NodeJS.Timeout | undefined;

  const send = (): void => {
    inFlight += 1;
    const t0 = performance.now();
    echo
      .ping({ ...here, seq: sent })
      .then(
        (answer) => stats.success(placeLabel(answer), answer.id, performance.now() - t0),
        (error: unknown) => stats.failure(toProximaError(error).code),
      )
      .finally(() => (inFlight -= 1));
    sent += 1;
  };
  const report = (windowMs: number): void => {
    const window = stats.take(windowMs, client.explain(DEMO_SERVICE), phase);
    process.stdout.write(`${JSON.stringify(window)}\n`);
    if (args.report !== undefined) {
      fetch(args.report, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(window.report),
        signal: AbortSignal.timeout(1_000),
      }).then(
        (res) => res.body?.cancel(),
        () => undefined,
      );
    }
  };
  const start = async (): Promise<void> => {
    await untilListed(args.expect);
    const started = performance.now();
    // A steady open-loop schedule: each tick sends what is due, never more than MAX_IN_FLIGHT at once.
    ticker = setInterval(() => {
      const due = Math.floor(((performance.now() - started) / 1000) * args.rate);
      while (sent < due && inFlight < MAX_IN_FLIGHT) send();
      if (sent < due) sent = due; // shed what could not be sent: the load stays bounded
    }, TICK_MS);
    let windowStart = performance.now();
    reporter = setInterval(() => {
      const now = performance.now();
      report(now - windowStart);
      windowStart = now;
    }, args.window);
  };
  // The fleet registered just before `start`; wait (bounded) until the watch has delivered all of
  // it, so the first calls are routed like every later one. The client has no event for this.
  const untilListed = async (n: number): Promise<void> => {
    const listed = (): number => {
      const table = client.explain(DEMO_SERVICE);
      return table.routes.reduce((sum, r) => sum + r.endpoints.length, 0) + table.excluded.length;
    };
    for (let waited = 0; listed() < n && waited < 5_000; waited += 25) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(ticker);
    clearInterval(reporter);
    await client.close();
    process.exit(0);
  };
  onShutdownSignals(stop);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const match = /^phase\s+(\S.*)$/.exec(line.trim());
    if (match !== null) phase = match[1];
    else if (line.trim() === 'start' && ticker === undefined) void start();
  });
  lines.on('close', () => void stop());
  process.stdout.write(`${JSON.stringify({ event: 'ready', pid: process.pid, rate: args.rate })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo load: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
