import { type Socket, connect as connectTcp } from 'node:net';
import { type SecureContext, connect as connectTls, createSecureContext } from 'node:tls';
import { invalidArgument } from '../../core/errors.js';
import { TLS_ENV } from '../../core/tls-files.js';
import type { TransportEndpoint } from '../../transport/transport.js';
import type { ClientTlsOptions } from './options.js';

/** A socket being opened, the event that says it is ready for frames, and how to explain its errors. */
export interface Dialed {
  readonly socket: Socket;
  /** `connect` for TCP; `secureConnect` (handshake done, server verified) for TLS. */
  readonly readyEvent: 'connect' | 'secureConnect';
  /** The message of a socket error: its own, plus what a TLS failure means for a deployment. */
  describe(error: Error): string;
}

const plain = (error: Error): string => error.message;

/** What a TLS connection is opened with: the parsed certificates, made once per endpoint. */
export interface DialTls {
  readonly secureContext: SecureContext;
  readonly servername?: string;
  /** Whether a client certificate is presented (for the meaning of a refusal). */
  readonly cert?: unknown;
}

/**
 * Parses the PEM material once (every reconnect reuses it). A key that does not fit its
 * certificate, or PEM that does not parse, is INVALID_ARGUMENT naming `field`.
 */
export function prepareTls(tls: ClientTlsOptions, field: string): DialTls {
  let secureContext: SecureContext;
  try {
    secureContext = createSecureContext({
      ...(tls.ca === undefined ? {} : { ca: tls.ca }),
      ...(tls.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls.key === undefined ? {} : { key: tls.key }),
    });
  } catch (error) {
    throw invalidArgument(field, `node:tls cannot use these certificates: ${(error as Error).message}`);
  }
  return {
    secureContext,
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
    ...(tls.cert === undefined ? {} : { cert: true }),
  };
}

/** Opens a TCP or, with `tls`, a TLS connection to `endpoint` (Nagle off either way). */
export function dial(endpoint: TransportEndpoint, tls: DialTls | undefined): Dialed {
  if (tls === undefined) {
    const socket = connectTcp({ host: endpoint.host, port: endpoint.port, noDelay: true });
    return { socket, readyEvent: 'connect', describe: plain };
  }
  const socket = connectTls({
    host: endpoint.host,
    port: endpoint.port,
    secureContext: tls.secureContext,
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
  });
  socket.setNoDelay(true);
  // With TLS 1.3 the client finishes its handshake before the server has checked the client's
  // certificate: a refusal then arrives as a reset or a bare close before any byte of data.
  let secured = false;
  let heard = false;
  let failed = false;
  socket.once('secureConnect', () => (secured = true));
  socket.once('data', () => (heard = true));
  socket.prependListener('error', () => (failed = true));
  socket.prependOnceListener('close', () => {
    if (secured && !heard && !failed) socket.emit('error', closedAfterHandshake(tls));
  });
  return {
    socket,
    readyEvent: 'secureConnect',
    describe: (error) => describeTlsError(error, secured, heard, tls),
  };
}

function closedAfterHandshake(tls: DialTls): Error {
  const error = new Error('the server closed the connection right after the TLS handshake');
  return Object.assign(error, {
    code: tls.cert === undefined ? 'ECONNRESET' : 'PROXIMA_CLIENT_CERT_REFUSED',
  });
}
/** OpenSSL and Node codes of TLS failures, with what they mean for a Proxima deployment. */
const HINTS: Readonly<Record<string, string>> = {
  ERR_SSL_WRONG_VERSION_NUMBER:
    'the server does not speak TLS (a plaintext server, or TLS set on a client of a plaintext instance)',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'the server does not speak TLS',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: `the server requires a client certificate (tls.cert and tls.key, or ${TLS_ENV.cert} and ${TLS_ENV.key})`,
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE:
    'the server refused the handshake (a client certificate missing or not accepted?)',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the server did not accept the client certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the server does not trust the CA of the client certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: `the server certificate is not signed by a trusted CA (tls.ca or ${TLS_ENV.ca})`,
  SELF_SIGNED_CERT_IN_CHAIN: `the server certificate is not signed by a trusted CA (tls.ca or ${TLS_ENV.ca})`,
  DEPTH_ZERO_SELF_SIGNED_CERT: `the server certificate is self-signed and not trusted (tls.ca or ${TLS_ENV.ca})`,
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not name the host (tls.servername)',
  ECONNRESET: 'the connection was reset during the TLS handshake (a plaintext server?)',
  PROXIMA_CLIENT_CERT_REFUSED:
    'the server did not accept the client certificate (signed by a CA it does not trust?)',
};

function describeTlsError(error: Error, secured: boolean, heard: boolean, tls: DialTls): string {
  const raw = (error as { code?: unknown }).code;
  let code = typeof raw === 'string' ? raw : '';
  // Reset after our handshake and before any answer: the server refused our certificate.
  if (code === 'ECONNRESET' && secured && !heard && tls.cert !== undefined)
    code = 'PROXIMA_CLIENT_CERT_REFUSED';
  const hint = (secured && heard) || code === '' ? undefined : HINTS[code];
  if (hint === undefined) return secured ? error.message : `TLS handshake failed: ${error.message}`;
  return `TLS handshake failed: ${hint} (${error.message.trim()})`;
}
