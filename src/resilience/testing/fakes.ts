import type {
  CallTracker,
  Endpoint,
  OutcomeKind,
  PickContext,
  Picker,
  PickResult,
} from '../../balancer/picker.js';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { ProximaError } from '../../core/errors.js';
import { Emitter } from '../../core/event.js';
import { parseInstance } from '../../core/instance.js';
import type { AttemptContext } from '../policy.js';

/** An endpoint `id` of service `svc` on a made-up loopback port. */
export function endpoint(id: string, port = 9000): Endpoint {
  return { id, instance: parseInstance({ service: 'svc', id, address: `127.0.0.1:${port}` }) };
}

/** Records every `done` so tests can check that each pick was reported exactly once. */
export class RecordingTracker implements CallTracker {
  readonly reports: Array<{ kind: OutcomeKind; latencyMs: number }> = [];
  constructor(readonly endpointId: string) {}
  done(kind: OutcomeKind, latencyMs: number): void {
    this.reports.push({ kind, latencyMs });
  }
}

/**
 * A round-robin picker over fixed endpoints that honours `exclude` and `prefer` the way the
 * contract asks, and keeps every tracker it handed out.
 */
export class FakePicker implements Picker {
  readonly trackers: RecordingTracker[] = [];
  readonly contexts: Array<PickContext | undefined> = [];
  private next = 0;

  constructor(readonly endpoints: readonly Endpoint[]) {}

  pick(context?: PickContext): PickResult {
    this.contexts.push(context);
    const n = this.endpoints.length;
    const preferred = this.endpoints.find((e) => e.id === context?.prefer);
    if (preferred !== undefined && !context?.exclude?.has(preferred.id)) return this.ok(preferred);
    for (let k = 0; k < n; k++) {
      const e = this.endpoints[(this.next + k) % n]!;
      if (context?.exclude?.has(e.id)) continue;
      this.next = (this.next + k + 1) % n;
      return this.ok(e);
    }
    return { kind: 'fail', error: new ProximaError('NO_ENDPOINTS', 'no usable endpoint') };
  }

  /** Trackers reported other than exactly once. */
  misreported(): RecordingTracker[] {
    return this.trackers.filter((t) => t.reports.length !== 1);
  }

  /** The kinds reported, in pick order. */
  kinds(): Array<OutcomeKind | undefined> {
    return this.trackers.map((t) => t.reports[0]?.kind);
  }

  /** The endpoint ids picked, in order. */
  picked(): string[] {
    return this.trackers.map((t) => t.endpointId);
  }

  private ok(endpoint: Endpoint): PickResult {
    const tracker = new RecordingTracker(endpoint.id);
    this.trackers.push(tracker);
    return { kind: 'ok', endpoint, tracker };
  }
}

/** A picker that has nothing yet (`wait`), for the time before the first snapshot. */
export const waitingPicker: Picker = { pick: () => ({ kind: 'wait' }) };

/** Holds the current picker and fires `changed` when it is replaced, as a router would. */
export class PickerSource {
  private readonly changed = new Emitter<Picker>();
  readonly onPickerChange = this.changed.event;
  constructor(public current: Picker) {}
  readonly getPicker = (): Picker => this.current;
  set(picker: Picker): void {
    this.current = picker;
    this.changed.emit(picker);
  }
}

/** What a scripted attempt does: answer or fail after `afterMs` on the fake clock, or never answer. */
export type Behaviour<T> =
  | { readonly ok: T; readonly afterMs?: number }
  | { readonly error: ProximaError; readonly afterMs?: number }
  | { readonly hang: true };

/** One recorded attempt. */
export interface AttemptRecord {
  readonly endpointId: string;
  readonly attempt: number;
  readonly at: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * An attempt function driven by a script `(endpointId, attemptNo) => Behaviour`, on a fake clock.
 * It behaves like a real transport: its context's deadline fails it with DEADLINE_EXCEEDED, and an
 * abort of its signal rejects at once with the signal's reason.
 */
export class ScriptedAttempts<T> {
  readonly calls: AttemptRecord[] = [];
  constructor(
    private readonly clock: Clock,
    private readonly script: (endpointId: string, attempt: number) => Behaviour<T>,
  ) {}

  readonly attempt = (endpoint: Endpoint, context: AttemptContext): Promise<T> => {
    this.calls.push({
      endpointId: endpoint.id,
      attempt: context.attempt,
      at: this.clock.now(),
      signal: context.signal,
    });
    const behaviour = this.script(endpoint.id, context.attempt);
    const { signal, deadline } = context;
    const clock = this.clock;
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timers: TimerHandle[] = [];
      const end = (): void => {
        for (const t of timers) clock.clearTimeout(t);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        end();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (deadline !== undefined) {
        timers.push(
          clock.setTimeout(() => {
            end();
            reject(new ProximaError('DEADLINE_EXCEEDED', 'deadline passed in flight'));
          }, deadline.remaining()),
        );
      }
      if ('hang' in behaviour) return;
      timers.push(
        clock.setTimeout(() => {
          end();
          if ('ok' in behaviour) resolve(behaviour.ok);
          else reject(behaviour.error);
        }, behaviour.afterMs ?? 0),
      );
    });
  };

  /** Endpoint ids attempted, in order. */
  endpoints(): string[] {
    return this.calls.map((c) => c.endpointId);
  }
}

/** Errors by kind, for scripts. */
export const errors = {
  unavailable: (): ProximaError => new ProximaError('UNAVAILABLE', 'connection reset'),
  unprocessed: (): ProximaError => new ProximaError('UNAVAILABLE', 'goaway', { unprocessed: true }),
  notFound: (): ProximaError => new ProximaError('NOT_FOUND', 'no such user'),
  internal: (): ProximaError => new ProximaError('INTERNAL', 'handler crashed'),
};
