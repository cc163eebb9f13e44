import { castGrpcError, EtcdWatchStreamEnded, type IWatchResponse } from 'etcd3';
import type { TimerHandle } from '../../core/clock.js';
import { ErrorCode, ProximaError } from '../../core/errors.js';
import type { EtcdConnection } from './connection.js';

/** One prefix watcher: `[key, range_end)` from `start_revision` on. */
export interface WatchRange {
  readonly key: Buffer;
  readonly range_end: Buffer;
  readonly start_revision: number;
}

/** Responses buffered before the stream is paused (backpressure from a slow consumer). */
const HIGH_WATER = 256;
const LOW_WATER = 64;

interface PausableStream {
  pause(): void;
  resume(): void;
}

/**
 * One gRPC Watch stream carrying one watcher, as an async iterable of raw responses. It ends by
 * returning when `signal` aborts, and by throwing when the stream fails, ends, or goes silent.
 *
 * Silence is how a dead connection shows (a partition holds packets; TCP says nothing): every
 * `watchProbeMs` the stream is probed with a progress request, and no answer within
 * `attemptTimeoutMs` fails it, so the caller reconnects (perhaps to another member) and resumes.
 * The probe's answer is used for liveness only: etcd 3.4 may answer it before delivering events of
 * the revision it reports, so it must not advance the resume revision.
 */
export async function* watchStream(
  connection: EtcdConnection,
  range: WatchRange,
  signal: AbortSignal,
): AsyncGenerator<IWatchResponse> {
  const { clock, attemptTimeoutMs, callTimeoutMs, watchProbeMs } = connection.options;
  const stream = await connection.client.watchClient.watch();
  const pausable = stream as unknown as Partial<PausableStream>;
  const queue: IWatchResponse[] = [];
  let failure: unknown;
  let paused = false;
  let wake: (() => void) | undefined;
  let silence: TimerHandle | undefined;
  let probe: TimerHandle | undefined;

  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (error: unknown): void => {
    failure ??= error;
    notify();
  };
  const expectAnswerWithin = (ms: number): void => {
    silence ??= clock.setTimeout(
      () => fail(new ProximaError(ErrorCode.UNAVAILABLE, `etcd watch stream silent for ${ms} ms`)),
      ms,
    );
  };
  const scheduleProbe = (): void => {
    probe = clock.setTimeout(() => {
      if (!paused) {
        stream.write({ progress_request: {} });
        expectAnswerWithin(attemptTimeoutMs);
      }
      scheduleProbe();
    }, watchProbeMs);
  };

  stream.on('data', (response: IWatchResponse) => {
    if (silence !== undefined) clock.clearTimeout(silence);
    silence = undefined;
    queue.push(response);
    if (queue.length >= HIGH_WATER && !paused && pausable.pause) {
      paused = true;
      pausable.pause();
    }
    notify();
  });
  stream.on('error', (error: Error) => fail(castGrpcError(error)));
  stream.on('end', () => fail(new EtcdWatchStreamEnded()));
  signal.addEventListener('abort', notify);

  stream.write({
    create_request: { key: range.key, range_end: range.range_end, start_revision: range.start_revision },
  });
  expectAnswerWithin(callTimeoutMs);
  scheduleProbe();
  try {
    for (;;) {
      if (signal.aborted) return;
      const response = queue.shift();
      if (response !== undefined) {
        if (paused && queue.length <= LOW_WATER && pausable.resume) {
          paused = false;
          pausable.resume();
        }
        yield response;
        continue;
      }
      if (failure !== undefined) throw failure;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    signal.removeEventListener('abort', notify);
    if (silence !== undefined) clock.clearTimeout(silence);
    if (probe !== undefined) clock.clearTimeout(probe);
    // Half-close first: the etcd3 client then does not count our own cancel as a member failure.
    stream.end();
    stream.cancel();
  }
}
