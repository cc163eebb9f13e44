import type { ProximaError } from '../core/errors.js';
import type { WatchConnectivity } from './registry.js';

/**
 * Turns a reconnect loop's failures and successes into edge-triggered `onConnectivity` calls: one
 * `connected: false` per outage, one `connected: true` when a stream is up again after it.
 */
export class ConnectivityReporter {
  private down = false;

  constructor(private readonly listener: ((state: WatchConnectivity) => void) | undefined) {}

  /** The stream broke or could not be opened. */
  lost(error: ProximaError): void {
    if (this.down) return;
    this.down = true;
    this.listener?.({ connected: false, error });
  }

  /** A stream is established (again). */
  established(): void {
    if (!this.down) return;
    this.down = false;
    this.listener?.({ connected: true });
  }
}
