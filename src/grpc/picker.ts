import { experimental, Metadata, status } from '@grpc/grpc-js';
import type { PickContext, PickResult as RouterPick } from '../balancer/picker.js';
import type { Router } from '../routing/router.js';
import type { CallReporter } from './call-report.js';
import type { PickNotes } from './pick-notes.js';

type PickArgs = experimental.PickArgs;
type PickResult = experimental.PickResult;

const QUEUE: PickResult = {
  pickResultType: experimental.PickResultType.QUEUE,
  subchannel: null,
  status: null,
  onCallStarted: null,
  onCallEnded: null,
};

/** What a {@link ProximaPicker} needs from the balancer that built it. */
export interface ProximaPickerState {
  readonly router: Router;
  /** Pickers of the children whose connection is READY, by instance id. */
  readonly ready: ReadonlyMap<string, experimental.Picker>;
  /** Instance ids the router knows but that have no READY connection: never picked. */
  readonly notReady: ReadonlySet<string>;
  /** When the router has nothing to offer: wait (a connection is coming up) or fail the call. */
  readonly whenEmpty: 'queue' | 'fail';
  readonly service: string;
  readonly reporter: CallReporter;
  /** Where traced calls hear which endpoint their pick chose (see `PickNotes`). */
  readonly picks: PickNotes | undefined;
  /** Called when a pick found the picker older than the router (a new picker is due). */
  readonly onStale: () => void;
}

/**
 * The `proxima` policy's picker: one immutable view of which connections are READY, with every
 * choice delegated to Proxima's router (locality tiers, spill, panic, peak-EWMA inside a tier). The
 * router is asked to leave out endpoints without a READY connection, so a crashed instance that
 * the registry still lists is skipped from the moment its connection drops, before any call fails
 * on it (`PickContext.unavailable`: not tried, so the router's retry rules ignore it). The chosen
 * child's own pick supplies the subchannel; the {@link CallReporter} reports the call's status and
 * latency back to the endpoint's statistics.
 */
export class ProximaPicker implements experimental.Picker {
  private readonly context: PickContext;

  constructor(private readonly state: ProximaPickerState) {
    // Not `exclude`: these were not tried by the call, so they must not steer a retry heuristic.
    this.context = { unavailable: state.notReady };
  }

  pick(args: PickArgs): PickResult {
    const state = this.state;
    const result = state.router.pick(this.context);
    const picked = this.pickChild(args, result);
    // `args.metadata` is the copy grpc-js sends after a COMPLETE pick: the note's token leaves it here.
    state.picks?.take(
      args.metadata,
      picked.pickResultType === experimental.PickResultType.COMPLETE && result.kind === 'ok'
        ? result.endpoint
        : undefined,
    );
    return picked;
  }

  private pickChild(args: PickArgs, result: RouterPick): PickResult {
    const state = this.state;
    if (result.kind === 'wait') return QUEUE;
    if (result.kind === 'fail') {
      if (state.whenEmpty === 'queue') return QUEUE;
      return unavailable(`proxima: ${result.error.message}`);
    }
    const child = state.ready.get(result.endpoint.id);
    if (child === undefined) {
      // The router adopted a snapshot this picker predates; the balancer republishes shortly.
      state.reporter.release(result.tracker);
      state.onStale();
      return QUEUE;
    }
    const picked = child.pick(args);
    if (picked.pickResultType !== experimental.PickResultType.COMPLETE) {
      state.reporter.release(result.tracker);
      return picked;
    }
    return state.reporter.wrap(picked, result.tracker);
  }
}

function unavailable(details: string): PickResult {
  return {
    pickResultType: experimental.PickResultType.TRANSIENT_FAILURE,
    subchannel: null,
    status: { code: status.UNAVAILABLE, details, metadata: new Metadata() },
    onCallStarted: null,
    onCallEnded: null,
  };
}
