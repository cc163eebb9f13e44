import type { Sampler } from './distributions.js';
import type { InstanceSpec } from './topology.js';
import type { VirtualClock } from './virtual-clock.js';
import type { SimEvent } from './event-queue.js';

/** How a call ended at the instance. */
export type ServerReply = 'ok' | 'reset';

/** One call at an instance: `reply` is called exactly once, when it is answered or cut off. */
export interface ServerJob {
  reply(result: ServerReply): void;
}

/** The measurement window utilisation is integrated over. */
export interface Window {
  readonly start: number;
  readonly end: number;
}

/**
 * A modelled instance: `capacity` calls are served at once, each for a draw of the service-time
 * distribution (plus any injected slowness); further calls wait in a FIFO queue. A killed instance
 * refuses connections and cuts off what it had; a draining one refuses new calls and finishes the
 * rest. Busy slots are integrated over time for utilisation.
 */
export class SimServer {
  readonly id: string;
  readonly zone: string;
  readonly capacity: number;
  killed = false;
  draining = false;
  /** Added to every service time (the `slow` fault). */
  slowMs = 0;
  /** Calls served to the end. */
  served = 0;

  private busy = 0;
  private readonly running = new Map<ServerJob, SimEvent>();
  private queue: ServerJob[] = [];
  private head = 0;
  private busyIntegral = 0;
  private lastChange: number;

  constructor(
    spec: InstanceSpec,
    private readonly clock: VirtualClock,
    private readonly serviceTime: Sampler,
    private readonly window: Window,
  ) {
    this.id = spec.id;
    this.zone = spec.zone;
    this.capacity = spec.capacity;
    this.lastChange = clock.now();
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** True when the instance takes the call (it may still have to queue it); false when it refuses. */
  accept(job: ServerJob): boolean {
    if (this.killed || this.draining) return false;
    if (this.busy < this.capacity) this.start(job);
    else this.queue.push(job);
    return true;
  }

  /** Stops the instance: every call it holds is cut off. */
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    this.account();
    this.busy = 0;
    const cut = [...this.running.keys(), ...this.queue.slice(this.head)];
    for (const event of this.running.values()) event.cancelled = true;
    this.running.clear();
    this.queue = [];
    this.head = 0;
    for (const job of cut) job.reply('reset');
  }

  /** Back to normal: running, accepting, no added delay. */
  recover(): void {
    this.killed = false;
    this.draining = false;
    this.slowMs = 0;
  }

  /** Mean share of the capacity in use over the measurement window (up to now). */
  utilisation(): number {
    this.account();
    const length = Math.min(this.clock.now(), this.window.end) - this.window.start;
    return length > 0 ? this.busyIntegral / (this.capacity * length) : 0;
  }

  private start(job: ServerJob): void {
    this.account();
    this.busy++;
    const duration = this.serviceTime() + this.slowMs;
    this.running.set(
      job,
      this.clock.schedule(duration, () => this.finish(job)),
    );
  }

  private finish(job: ServerJob): void {
    this.running.delete(job);
    this.account();
    this.busy--;
    this.served++;
    job.reply('ok');
    if (this.head < this.queue.length) {
      const next = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.start(next);
    }
  }

  /** Adds busy-slot time since the last change, clipped to the measurement window. */
  private account(): void {
    const now = this.clock.now();
    const from = Math.max(this.lastChange, this.window.start);
    const to = Math.min(now, this.window.end);
    if (to > from) this.busyIntegral += this.busy * (to - from);
    this.lastChange = now;
  }
}
