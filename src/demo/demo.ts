import { mountDashboard } from '../dashboard/routes.js';
import { ProximaError, invalidArgument, isProximaError } from '../core/errors.js';
import { atLeast, type Logger } from '../core/logger.js';
import { startRegistryServer, type RegistryServer } from '../server/server.js';
import { Fleet } from './fleet.js';
import { listenForKeys, KEY_HELP } from './keys.js';
import type { LoadWindow } from './load-stats.js';
import { DemoProcesses, parseJsonLine } from './processes.js';
import { type DemoAction, type ScriptStep, describeAction, phaseOf } from './script.js';
import { type PhaseRecord, formatSummary, summarize, type DemoSummary } from './summary.js';
import { LiveTable } from './table.js';
import { DEMO_CALLER, DEMO_ZONES, demoFleet, placeLabel } from './topology.js';

/** Options of {@link runDemo}; the CLI fills them from flags. */
export interface DemoOptions {
  readonly host: string;
  /** Registry + dashboard port; when the default port is taken, a free one is used instead. */
  readonly port: number;
  /** Whether `port` was asked for explicitly (then a taken port is an error). */
  readonly portExplicit: boolean;
  /** Calls per second of the load client. */
  readonly rate: number;
  /** Stop after this long (headless run with a verdict); undefined: until Ctrl-C or `q`. */
  readonly durationMs: number | undefined;
  readonly script: readonly ScriptStep[];
  readonly perZone: number;
  /** Lease TTL of the demo instances. */
  readonly ttlMs: number;
  /**
   * The verdict's same-zone share while healthy (default 0.99, `SUMMARY_RULES.healthyLocalShare`),
   * and after the last recovery when lower than that bar's 0.95.
   */
  readonly minLocalShare?: number;
  /** The caller's load-aware spill (default on): off for a run on cores busy with other work. */
  readonly loadSpill?: boolean;
}

/** Where the demo writes and what stops it. */
export interface DemoIo {
  readonly stdout: { write(text: string): unknown };
  readonly stdin: NodeJS.ReadStream | undefined;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** The outcome of a run. */
export interface DemoResult {
  readonly summary: DemoSummary;
  /** Every PID the demo started; all are gone when `runDemo` returns. */
  readonly pids: readonly number[];
}

const READY_TIMEOUT_MS = 60_000;

/**
 * `proxima demo`: an embedded registry with the dashboard, a fleet of instance processes in three
 * zones over two regions, and a load client in one zone — then the script (or keys) breaks and
 * repairs the fleet while a live table shows where calls go. Every process it starts is stopped
 * before it returns.
 */
export async function runDemo(options: DemoOptions, io: DemoIo): Promise<DemoResult> {
  const out = (text: string): void => void io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  out('proxima demo: starting the registry and its dashboard…');
  const server = await listen(options, io.logger);
  const dashboard = mountDashboard(server, { acceptTraffic: true });
  out(`proxima demo: registry ${server.url}`);
  out(`dashboard: ${dashboard.url}`);

  const processes = new DemoProcesses();
  const fleet = new Fleet(demoFleet(options.perZone), {
    processes,
    registryUrl: server.url,
    ttlMs: options.ttlMs,
    readyTimeoutMs: READY_TIMEOUT_MS,
    onStarted: (m) => {
      const child = m.process;
      if (child === undefined) return;
      out(`instance ${m.spec.id} in ${placeLabel(m.spec)} pid ${child.pid} at 127.0.0.1:${m.port}`);
      void child.exited.then(() =>
        out(`   ${(elapsed() / 1000).toFixed(1)}s instance ${m.spec.id} (pid ${child.pid}) exited`),
      );
    },
  });
  const caller = placeLabel(DEMO_CALLER);
  const records: PhaseRecord[] = [{ phase: 'healthy', cause: 'start', startMs: 0, windows: [] }];
  const timers: NodeJS.Timeout[] = [];
  const disposables: Disposable[] = [];
  let t0 = performance.now();
  const elapsed = (): number => performance.now() - t0;

  try {
    const load = processes.spawn('load', 'load-main', [
      '--registry',
      server.url,
      '--region',
      DEMO_CALLER.region,
      '--zone',
      DEMO_CALLER.zone,
      '--rate',
      String(options.rate),
      '--report',
      `${server.url}/ui/api/traffic`,
      '--expect',
      String(fleet.ids.length),
      ...(options.loadSpill === false ? ['--load-spill', 'off'] : []),
    ]);
    out(
      `proxima demo: starting ${fleet.ids.length} instances (${options.perZone} in each of ` +
        `${DEMO_ZONES.map(placeLabel).join(', ')}) and a load client in ${caller}…`,
    );
    // The client starts while the fleet does; it sends nothing before `start`.
    const startup = Promise.all([fleet.startAll(), load.waitForEvent('ready', READY_TIMEOUT_MS)]);
    const interrupted = new Promise<'interrupted'>((resolve) => {
      if (io.signal.aborted) resolve('interrupted');
      io.signal.addEventListener('abort', () => resolve('interrupted'), { once: true });
    });
    if ((await Promise.race([startup, interrupted])) === 'interrupted') {
      startup.catch(() => undefined); // its processes are stopped below
      throw new ProximaError('CANCELLED', 'demo interrupted while starting');
    }
    load.send('start');
    out(`load: ${options.rate} calls/s from ${caller} (pid ${load.pid})`);
    out('proxima demo: client running; one table row per second (share of calls answered by each zone):');
    t0 = performance.now();

    const table = new LiveTable(DEMO_ZONES.map(placeLabel), out);
    disposables.push(
      load.onLine((line) => {
        const parsed = parseJsonLine(line);
        if (parsed?.event !== 'stats') return;
        const window = parsed as unknown as LoadWindow;
        const record = records.at(-1) as PhaseRecord;
        record.windows.push(window);
        table.print(elapsed(), record.phase, window);
      }),
    );

    let restoring: Promise<unknown> | undefined;
    let restorePending = false;
    const act = (action: DemoAction): void => {
      const phase = phaseOf(action);
      records.push({ phase, cause: describeAction(action), startMs: elapsed(), windows: [] });
      load.send(`phase ${phase}`);
      const done = perform(fleet, action);
      if (action.kind === 'restore') {
        restorePending = true;
        restoring = done.catch(() => undefined).finally(() => (restorePending = false));
      }
      void done.then(
        (note) => out(`>> ${(elapsed() / 1000).toFixed(1)}s ${describeAction(action)}: ${note}`),
        (error: unknown) => out(`>> ${describeAction(action)} failed: ${(error as Error).message}`),
      );
    };
    for (const step of options.script) timers.push(setTimeout(() => act(step.action), step.atMs));

    const stop = new Promise<void>((resolve) => {
      if (options.durationMs !== undefined) timers.push(setTimeout(resolve, options.durationMs));
      if (io.signal.aborted) resolve();
      io.signal.addEventListener('abort', () => resolve(), { once: true });
      if (options.durationMs === undefined && io.stdin !== undefined && io.stdin.isTTY) {
        const oneLocal = (): string | undefined => fleet.healthyIn(DEMO_CALLER)[0]?.spec.id;
        disposables.push(listenForKeys(io.stdin, { oneLocal, zone: caller }, act, resolve));
        out(KEY_HELP);
      } else if (options.durationMs === undefined) {
        out('Ctrl-C stops the demo and every process it started.');
      }
    });
    void load.exited.then(() => out('load client exited'));
    await stop;
    if (options.durationMs !== undefined && restoring !== undefined && !io.signal.aborted) {
      // The verdict judges traffic after the last restore: on a busy machine restarts can outlast
      // the duration, so wait for them (bounded) and for two more windows.
      await settleRecovery(restoring, restorePending, records, io.signal, out);
    }
  } finally {
    for (const t of timers) clearTimeout(t);
    for (const d of disposables) d[Symbol.dispose]();
    out(`stopping ${processes.running} processes…`);
    await processes.stopAll();
    dashboard[Symbol.dispose]();
    await server.close();
  }
  out(`stopped: none of the ${processes.started.length} demo processes is left`);
  const summary = summarize(records, caller, options.minLocalShare);
  out(formatSummary(summary));
  return { summary, pids: processes.started };
}

async function settleRecovery(
  restoring: Promise<unknown>,
  pending: boolean,
  records: readonly PhaseRecord[],
  signal: AbortSignal,
  out: (text: string) => void,
): Promise<void> {
  const last = records.at(-1);
  const before = last?.windows.length ?? 0;
  let timer: NodeJS.Timeout | undefined;
  const bounded = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  if (pending) out('waiting for the last restore to finish before the verdict…');
  await Promise.race([restoring, bounded(30_000)]);
  clearTimeout(timer);
  const after = last?.windows.length ?? 0;
  if (pending || after - before < 2) await bounded(2_200);
  clearTimeout(timer);
}

async function perform(fleet: Fleet, action: DemoAction): Promise<string> {
  const ids = (members: ReadonlyArray<{ spec: { id: string } }>): string =>
    members.length === 0 ? 'nothing to do' : members.map((m) => m.spec.id).join(', ');
  switch (action.kind) {
    case 'kill':
      return `SIGKILL ${ids(fleet.kill(action.target))}`;
    case 'slow':
      return `+${action.ms}ms on ${ids(fleet.slow(action.target, action.ms))}`;
    case 'drain':
      return `DRAINING ${ids(fleet.drain(action.target))}`;
    case 'restore':
      return `restarted ${ids(await fleet.restore())}`;
  }
}

async function listen(options: DemoOptions, logger: Logger): Promise<RegistryServer> {
  const quiet = atLeast(logger, 'warn');
  try {
    return await startRegistryServer({ host: options.host, port: options.port, logger: quiet });
  } catch (error) {
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    if (inUse && options.portExplicit) {
      throw invalidArgument('--port', `port ${options.port} is in use; pass --port 0 for any free port`);
    }
    if (!inUse) {
      throw isProximaError(error)
        ? error
        : new ProximaError(
            'UNAVAILABLE',
            `cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`,
          );
    }
    return startRegistryServer({ host: options.host, port: 0, logger: quiet });
  }
}
