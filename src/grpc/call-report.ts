import { experimental, type Metadata, type status } from '@grpc/grpc-js';
import type { CallTracker } from '../balancer/picker.js';
import type { Clock } from '../core/clock.js';
import { outcomeOfStatus } from './outcome.js';

type PickResult = experimental.PickResult;

/** One picked call: whether its tracker was told, and when the call really started. */
interface CallRecord {
  readonly tracker: CallTracker;
  startedAt: number;
  settled: boolean;
}

/**
 * Turns a child's COMPLETE pick into one that reports the call's outcome to Proxima's endpoint
 * statistics: `onCallStarted` stamps the start, `onCallEnded` maps the status to an outcome and
 * reports it with the latency.
 *
 * grpc-js may drop a COMPLETE pick without starting the call (the subchannel left READY while call
 * credentials were generated, or the call was cancelled then); it then never calls either hook and
 * the tracker would count a call in flight forever. Such picks are found when their `onCallEnded`
 * hook is garbage collected unsettled, and reported as cancelled (no strike, no latency sample).
 */
export class CallReporter {
  private readonly abandoned = new FinalizationRegistry<CallRecord>((record) => {
    if (!record.settled) {
      record.settled = true;
      record.tracker.done('cancelled', 0);
    }
  });

  constructor(private readonly clock: Clock) {}

  /** The pick result to hand grpc-js for `child` (a COMPLETE pick) routed with `tracker`. */
  wrap(child: PickResult, tracker: CallTracker): PickResult {
    const { clock, abandoned } = this;
    const record: CallRecord = { tracker, startedAt: Number.NaN, settled: false };
    const childStarted = child.onCallStarted;
    const childEnded = child.onCallEnded;
    const onCallEnded = (code: status, details: string, metadata: Metadata): void => {
      if (!record.settled) {
        record.settled = true;
        abandoned.unregister(record);
        const now = clock.now();
        const started = Number.isNaN(record.startedAt) ? now : record.startedAt;
        tracker.done(outcomeOfStatus(code), now - started, now);
      }
      childEnded?.(code, details, metadata);
    };
    abandoned.register(onCallEnded, record, record);
    return {
      pickResultType: experimental.PickResultType.COMPLETE,
      subchannel: child.subchannel,
      status: null,
      onCallStarted: () => {
        record.startedAt = clock.now();
        childStarted?.();
      },
      onCallEnded,
    };
  }

  /** A pick that will not be used (no ready child for it): release its tracker at once. */
  release(tracker: CallTracker): void {
    tracker.done('cancelled', 0);
  }
}
