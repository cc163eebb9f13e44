import { lazySchema } from '../../core/zod.js';
import { invalidArgument } from '../../core/errors.js';
import { tlsMaterialFromEnv } from '../../core/tls-files.js';
import { parseWith } from '../../core/validate.js';

/** PEM text or bytes (a certificate, a chain, a key, or one or more CA certificates). */
export type Pem = string | Buffer;

/**
 * TLS of an RPC server. With `ca`, client certificates signed by it are required (mutual TLS)
 * unless `requestCert` is false; the verified identity of each client reaches interceptors as
 * `ctx.peer.identity`.
 */
export interface ServerTlsOptions {
  /** The server's certificate chain (PEM). */
  readonly cert: Pem;
  readonly key: Pem;
  /** CA(s) that sign client certificates. */
  readonly ca?: Pem;
  /** Require a client certificate signed by `ca` (default: true when `ca` is given). */
  readonly requestCert?: boolean;
  /**
   * How long a new connection may take to start and finish its TLS handshake before it is closed
   * (default 10 000 ms): a peer cannot hold a half-open connection.
   */
  readonly handshakeTimeoutMs?: number;
}

/** TLS of an RPC client: verifies servers against `ca` (default: Node's bundled roots). */
export interface ClientTlsOptions {
  readonly ca?: Pem;
  /** A client certificate for servers that require one (mutual TLS); goes with `key`. */
  readonly cert?: Pem;
  readonly key?: Pem;
  /** The name the server certificate must carry (default: the host connected to). */
  readonly servername?: string;
  /**
   * Also call instances registered without TLS, in plaintext (default false: a client configured
   * for TLS refuses them, so a registration cannot downgrade it). Applies to `createClient` only.
   */
  readonly allowPlaintext?: boolean;
}

/** Default of {@link ServerTlsOptions.handshakeTimeoutMs}. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

const NOT_PEM =
  'expected PEM text (-----BEGIN …), not a file name: read the file, or name it in PROXIMA_TLS_*';
const pem = lazySchema((z) =>
  z.union(
    [
      z.string().refine((t) => t.includes('-----BEGIN '), NOT_PEM),
      z.instanceof(Buffer).refine((b) => b.includes('-----BEGIN '), NOT_PEM),
    ],
    'expected PEM as a string or a Buffer',
  ),
);

const serverTlsSchema = lazySchema((z) =>
  z
    .object({
      cert: pem(),
      key: pem(),
      ca: pem().optional(),
      requestCert: z.boolean().optional(),
      handshakeTimeoutMs: z.number().int().positive().max(600_000).optional(),
    })
    .strict(),
);

const clientTlsSchema = lazySchema((z) =>
  z
    .object({
      ca: pem().optional(),
      cert: pem().optional(),
      key: pem().optional(),
      servername: z.string().min(1).max(253).optional(),
      allowPlaintext: z.boolean().optional(),
    })
    .strict(),
);

/** Validates server TLS options; INVALID_ARGUMENT names the field (`server.tls.key`). */
export function checkServerTls(input: unknown, root = 'server.tls'): ServerTlsOptions {
  const tls = parseWith(serverTlsSchema(), input, root) as ServerTlsOptions;
  if (tls.requestCert === true && tls.ca === undefined)
    throw invalidArgument(`${root}.ca`, 'requestCert needs the CA that signs client certificates');
  return tls;
}

/** Validates client TLS options; INVALID_ARGUMENT names the field (`client.tls.cert`). */
export function checkClientTls(input: unknown, root = 'client.tls'): ClientTlsOptions {
  const tls = parseWith(clientTlsSchema(), input, root) as ClientTlsOptions;
  if ((tls.cert === undefined) !== (tls.key === undefined))
    throw invalidArgument(`${root}.${tls.cert === undefined ? 'cert' : 'key'}`, 'cert and key go together');
  return tls;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Server TLS from `PROXIMA_TLS_CERT` + `PROXIMA_TLS_KEY` (and `PROXIMA_TLS_CA`, which makes client
 * certificates required), or undefined when no certificate is set.
 */
export function serverTlsFromEnv(env: Env): ServerTlsOptions | undefined {
  const material = tlsMaterialFromEnv(env);
  if (material?.cert === undefined || material.key === undefined) return undefined;
  return {
    cert: material.cert,
    key: material.key,
    ...(material.ca === undefined ? {} : { ca: material.ca }),
  };
}

/**
 * Client TLS from `PROXIMA_TLS_CA` (and `PROXIMA_TLS_CERT` + `PROXIMA_TLS_KEY` for mutual TLS), or
 * undefined when none is set. The same variables configure the registry connection, so settings
 * from the environment follow each instance's registration both ways (`allowPlaintext`): setting
 * them for an https registry does not stop calls to plaintext instances. Pass `tls` in code to
 * refuse plaintext instances.
 */
export function clientTlsFromEnv(env: Env): ClientTlsOptions | undefined {
  const material = tlsMaterialFromEnv(env);
  if (material === undefined) return undefined;
  return { ...material, allowPlaintext: true };
}

/**
 * The TLS a server or client uses: the option when given (`false` turns TLS off whatever the
 * environment says), else the environment's.
 */
export function resolveTls<T>(
  option: T | false | undefined,
  fromEnv: (env: Env) => T | undefined,
  env: Env,
): T | undefined {
  if (option === false) return undefined;
  return option ?? fromEnv(env);
}
