import type { Clock, TimerHandle } from '../../core/clock.js';
import { ProximaError } from '../../core/errors.js';
import type { Metadata } from '../../transport/transport.js';
import type { Codec } from '../wire/codec.js';
import type { CallContext, Peer } from './context.js';
import type { RegisteredMethod } from './implement.js';

/**
 * The server side of one call and its {@link CallContext}. The AbortController and the deadline
 * timer are created only if the handler reads `signal`: most handlers never do, and the per-call
 * cost stays one object.
 */
export class ServerCall implements CallContext {
  private controller: AbortController | null = null;
  private timer: TimerHandle | null = null;
  private reason: ProximaError | null = null;
  private finished = false;

  constructor(
    readonly streamId: number,
    private readonly entry: RegisteredMethod,
    readonly metadata: Metadata,
    readonly peer: Peer,
    readonly codec: Codec,
    private readonly clock: Clock,
    /** Monotonic time of the deadline, 0 for none. */
    private readonly deadlineAt: number,
  ) {}

  get method(): string {
    return this.entry.fullName;
  }

  get service(): string {
    return this.entry.service;
  }

  get methodName(): string {
    return this.entry.methodName;
  }

  get idempotent(): boolean {
    return this.entry.idempotent;
  }

  /** True once cancelled, timed out or given up on: the answer is no longer wanted. */
  get aborted(): boolean {
    return this.reason !== null;
  }

  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.reason !== null) {
        this.controller.abort(this.reason);
      } else if (this.deadlineAt !== 0 && !this.finished) {
        const left = this.deadlineAt - this.clock.now();
        if (left <= 0) this.onDeadline();
        else this.timer = this.clock.setTimeout(() => this.onDeadline(), left);
      }
    }
    return this.controller.signal;
  }

  remainingMs(): number | undefined {
    return this.deadlineAt === 0 ? undefined : Math.max(0, this.deadlineAt - this.clock.now());
  }

  /** True when the caller's deadline has passed (whether or not the handler read its signal). */
  expired(): boolean {
    return this.deadlineAt !== 0 && this.clock.now() >= this.deadlineAt;
  }

  /** Aborts the handler's signal with `reason` (first reason wins). */
  abort(reason: ProximaError): void {
    if (this.finished || this.reason !== null) return;
    this.reason = reason;
    this.clearTimer();
    this.controller?.abort(reason);
  }

  /** The handler settled: release the timer. */
  finish(): void {
    this.finished = true;
    this.clearTimer();
  }

  private onDeadline(): void {
    this.timer = null;
    this.abort(new ProximaError('DEADLINE_EXCEEDED', `${this.entry.fullName}: deadline exceeded`));
  }

  private clearTimer(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
