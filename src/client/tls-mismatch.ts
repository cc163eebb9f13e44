import { ProximaError } from '../core/errors.js';
import type { Event } from '../core/event.js';
import { type Instance, TLS_METADATA_KEY, servesTls } from '../core/instance.js';
import { TLS_ENV } from '../core/tls-files.js';
import type { ClientTlsOptions } from '../rpc/tls/options.js';
import type { CallOptions, Transport, TransportState } from '../transport/transport.js';

/**
 * Why this client must not call `instance`, when its TLS settings and the instance's registration
 * disagree: a TLS server would refuse our plaintext, and calling a plaintext server from a client
 * set for TLS would let a registration downgrade it (unless `tls.allowPlaintext`).
 */
export function tlsMismatch(instance: Instance, tls: ClientTlsOptions | undefined): ProximaError | undefined {
  const where = `instance ${instance.id} of ${instance.service} (${instance.address})`;
  const serves = servesTls(instance);
  if (serves && tls === undefined) {
    return refusal(
      `${where} serves TLS (its registration has ${TLS_METADATA_KEY}=true) but this client has no TLS settings: ` +
        `set client.tls (e.g. { ca }) or ${TLS_ENV.ca}`,
    );
  }
  if (!serves && tls !== undefined && tls.allowPlaintext !== true) {
    return refusal(
      `${where} serves plaintext (no ${TLS_METADATA_KEY}=true in its registration) but this client is set for TLS ` +
        '(client.tls or PROXIMA_TLS_*): refusing to call it in plaintext (client.tls.allowPlaintext allows it)',
    );
  }
  return undefined;
}

function refusal(message: string): ProximaError {
  // Unprocessed: nothing was sent, so another (well-configured) instance may take the call.
  return new ProximaError('FAILED_PRECONDITION', message, { unprocessed: true, retryable: true });
}

const noEvent: Event<TransportState> = () => ({ [Symbol.dispose]: () => undefined });

/** A transport to an instance this client must not call: every call fails with `error`, sending nothing. */
export class RefusingTransport implements Transport {
  readonly state: TransportState = 'idle';
  readonly stateChanged = noEvent;

  constructor(private readonly error: ProximaError) {}

  call(_method: string, _payload: unknown, _options?: CallOptions): Promise<unknown> {
    return Promise.reject(this.error);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
