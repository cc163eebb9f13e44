import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Gatekeeper } from '../security/gatekeeper.js';
import type { RegistryState } from '../state.js';

/** What the built-in routes need; assembled once by `startRegistryServer`. */
export interface ApiDeps {
  readonly state: RegistryState;
  /** Authentication, rate and access, for every API route. */
  readonly gate: Gatekeeper;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  /** Interval of SSE comment heartbeats on watch streams. */
  readonly heartbeatMs: number;
  /** Aborted when the server closes: ends every watch stream. */
  readonly closing: AbortSignal;
}
