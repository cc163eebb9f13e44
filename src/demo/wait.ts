/**
 * Waits `ms` of simulated network time. Timers cannot wait less than a millisecond, so a
 * sub-millisecond distance (same zone) is one turn of the event loop (`setImmediate`), which is
 * of that order on an idle machine.
 */
export function simulatedWait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const done = (): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = (): void => {
      if (ms < 1) clearImmediate(handle as NodeJS.Immediate);
      else clearTimeout(handle as NodeJS.Timeout);
      reject(signal?.reason);
    };
    const handle: NodeJS.Immediate | NodeJS.Timeout = ms < 1 ? setImmediate(done) : setTimeout(done, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
