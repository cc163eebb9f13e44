import { invalidArgument } from '../core/errors.js';
import { type ControlCommand, formatControl } from './control.js';
import type { DemoChild, DemoProcesses } from './processes.js';
import { placeLabel, type DemoInstanceSpec, type DemoPlace } from './topology.js';

/** One instance of the fleet and its current process. */
export interface FleetMember {
  readonly spec: DemoInstanceSpec;
  /** Kept across restarts so a restarted instance comes back at the same address. */
  port: number;
  process: DemoChild | undefined;
  slowMs: number;
  draining: boolean;
}

export interface FleetOptions {
  readonly processes: DemoProcesses;
  readonly registryUrl: string;
  readonly ttlMs: number;
  readonly readyTimeoutMs: number;
  /** Called each time an instance process is up and registered (first start and restarts). */
  readonly onStarted?: (member: FleetMember) => void;
}

/** What an action did, for the live log. */
export interface FleetNote {
  readonly text: string;
}

/** The demo's instance processes: start, kill, slow, drain and restore them by id or zone. */
export class Fleet {
  private readonly members = new Map<string, FleetMember>();

  constructor(
    specs: readonly DemoInstanceSpec[],
    private readonly options: FleetOptions,
  ) {
    for (const spec of specs)
      this.members.set(spec.id, { spec, port: 0, process: undefined, slowMs: 0, draining: false });
  }

  get ids(): string[] {
    return [...this.members.keys()];
  }

  member(id: string): FleetMember | undefined {
    return this.members.get(id);
  }

  /** Instances of `target`: an instance id or a `region/zone`. */
  select(target: string): FleetMember[] {
    const one = this.members.get(target);
    if (one !== undefined) return [one];
    const inZone = [...this.members.values()].filter((m) => placeLabel(m.spec) === target);
    if (inZone.length === 0) throw invalidArgument('target', `no instance or zone "${target}" in the demo`);
    return inZone;
  }

  /** Starts every instance that is not running; resolves once all are registered. */
  async startAll(): Promise<FleetMember[]> {
    const down = [...this.members.values()].filter((m) => m.process?.isAlive !== true);
    await Promise.all(down.map((m) => this.start(m)));
    return down;
  }

  /** SIGKILLs the instances of `target` (no drain: a crash). */
  kill(target: string): FleetMember[] {
    const hit = this.select(target).filter((m) => m.process?.isAlive === true);
    for (const m of hit) m.process?.signal('SIGKILL');
    return hit;
  }

  slow(target: string, ms: number): FleetMember[] {
    return this.control(target, { kind: 'slow', ms }, (m) => (m.slowMs = ms));
  }

  drain(target: string): FleetMember[] {
    return this.control(target, { kind: 'drain' }, (m) => (m.draining = true));
  }

  /** Undoes everything: restarts dead instances, removes delays, marks drained ones UP. */
  async restore(): Promise<FleetMember[]> {
    for (const m of this.members.values()) {
      if (m.process?.isAlive !== true) continue;
      if (m.slowMs > 0) m.process.send(formatControl({ kind: 'slow', ms: 0 }));
      if (m.draining) m.process.send(formatControl({ kind: 'undrain' }));
      m.slowMs = 0;
      m.draining = false;
    }
    return this.startAll();
  }

  /** Live instances by zone label. */
  liveByZone(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of this.members.values()) {
      const zone = placeLabel(m.spec);
      counts.set(zone, (counts.get(zone) ?? 0) + (m.process?.isAlive === true ? 1 : 0));
    }
    return counts;
  }

  /** Members in `place` that are running, UP and not slowed. */
  healthyIn(place: DemoPlace): FleetMember[] {
    return [...this.members.values()].filter(
      (m) =>
        placeLabel(m.spec) === placeLabel(place) &&
        m.process?.isAlive === true &&
        !m.draining &&
        m.slowMs === 0,
    );
  }

  private control(target: string, command: ControlCommand, mark: (m: FleetMember) => void): FleetMember[] {
    const hit = this.select(target).filter((m) => m.process?.isAlive === true);
    for (const m of hit) {
      mark(m);
      m.process?.send(formatControl(command));
    }
    return hit;
  }

  private async start(member: FleetMember): Promise<void> {
    const { spec } = member;
    const child = this.options.processes.spawn(spec.id, 'instance-main', [
      '--id',
      spec.id,
      '--region',
      spec.region,
      '--zone',
      spec.zone,
      '--port',
      String(member.port),
      '--registry',
      this.options.registryUrl,
      '--ttl',
      String(this.options.ttlMs),
    ]);
    member.process = child;
    member.slowMs = 0;
    member.draining = false;
    const ready = await child.waitForEvent('ready', this.options.readyTimeoutMs);
    const port = Number(String(ready.address).split(':').pop());
    if (Number.isInteger(port) && port > 0) member.port = port;
    this.options.onStarted?.(member);
  }
}
