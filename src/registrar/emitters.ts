import type { ProximaError } from '../core/errors.js';
import { Emitter } from '../core/event.js';
import type { RegistrationBreakerState } from './breaker.js';
import type {
  HealthChangedEvent,
  InstanceLossEvent,
  RegisteredEvent,
  RegistrarErrorEvent,
} from './events.js';
import type { RegistrarConfig } from './options.js';

/**
 * Every event a registrar publishes, in one place, so the parts of its life (registering,
 * restoring, draining, checking) each report through the same emitters and the same log lines.
 */
export class RegistrarEmitters {
  readonly registered = new Emitter<RegisteredEvent>();
  readonly lost = new Emitter<ProximaError>();
  readonly reregistered = new Emitter<RegisteredEvent>();
  readonly errors = new Emitter<RegistrarErrorEvent>();
  readonly breakerChanges = new Emitter<RegistrationBreakerState>();
  readonly drained = new Emitter<void>();
  readonly healthChanges = new Emitter<HealthChangedEvent>();
  readonly instanceLost = new Emitter<InstanceLossEvent>();

  constructor(private readonly logger: RegistrarConfig['logger']) {}

  /** A failed registry call: a `warn` line, then `onError`. */
  error(event: RegistrarErrorEvent): void {
    this.logger.warn(
      { phase: event.phase, code: event.error.code, err: event.error.message, retryInMs: event.retryInMs },
      'registrar: registry call failed',
    );
    this.errors.emit(event);
  }
}
