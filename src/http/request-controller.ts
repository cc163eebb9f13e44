import type { Dispatcher } from 'undici';
import { ProximaError } from '../core/errors.js';

type Controller = Dispatcher.DispatchController;
type RawHeaders = NonNullable<Controller['rawHeaders']> | null;

/**
 * The one controller a caller's handler sees for the whole request, however many endpoints are
 * tried underneath (undici's RetryHandler keeps a stable controller the same way). Pause, resume and
 * abort go to the current attempt's connection; a pause survives the switch to the next attempt;
 * an abort while no attempt is running (waiting for discovery, between attempts) is handed to the
 * request through `onIdleAbort`.
 */
export class RequestController implements Controller {
  private target: Controller | undefined;
  private pausedFlag = false;
  private abortReason: Error | null = null;

  constructor(private readonly onIdleAbort: (reason: Error) => void) {}

  /** Routes control to the connection of a new attempt. */
  attach(target: Controller): void {
    this.target = target;
    if (this.abortReason !== null) target.abort(this.abortReason);
    else if (this.pausedFlag) target.pause();
  }

  /** The attempt ended: control has nowhere to go until the next one. */
  detach(): void {
    this.target = undefined;
  }

  pause(): void {
    this.pausedFlag = true;
    this.target?.pause();
  }

  resume(): void {
    this.pausedFlag = false;
    this.target?.resume();
  }

  abort(reason?: Error): void {
    if (this.abortReason !== null) return;
    this.abortReason = reason ?? new ProximaError('CANCELLED', 'the request was aborted');
    if (this.target !== undefined) this.target.abort(this.abortReason);
    else this.onIdleAbort(this.abortReason);
  }

  get aborted(): boolean {
    return this.abortReason !== null;
  }

  get paused(): boolean {
    return this.pausedFlag;
  }

  get reason(): Error | null {
    return this.abortReason;
  }

  /** The current attempt's raw response headers (as its connection parsed them). */
  get rawHeaders(): RawHeaders {
    return this.target?.rawHeaders ?? null;
  }

  set rawHeaders(value: RawHeaders) {
    if (this.target !== undefined) this.target.rawHeaders = value;
  }

  get rawTrailers(): RawHeaders {
    return this.target?.rawTrailers ?? null;
  }

  set rawTrailers(value: RawHeaders) {
    if (this.target !== undefined) this.target.rawTrailers = value;
  }
}
