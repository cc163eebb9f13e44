import { lazySchema } from '../../core/zod.js';
import { type Clock, systemClock } from '../../core/clock.js';
import { parseDuration } from '../../core/duration.js';
import { invalidArgument } from '../../core/errors.js';
import { splitAddress } from '../../core/instance.js';
import { type Random, systemRandom } from '../../core/random.js';
import { parseWith } from '../../core/validate.js';
import { readPemFile, tlsMaterialFromEnv } from '../../core/tls-files.js';
import type { Logger } from '../../core/logger.js';

/** The key prefix when the URL has no path. */
export const DEFAULT_PREFIX = '/proxima';

/** TLS material for the client: PEM buffers (a CA alone verifies the server; cert + key authenticate us). */
export interface EtcdTlsOptions {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** Everything the etcd backend needs; {@link parseEtcdUrl} builds it from an `etcd://` URL. */
export interface EtcdRegistryOptions {
  /** `host:port` of each member; calls go to any member, and a dead one is skipped. */
  readonly endpoints: readonly string[];
  /** Key prefix (no trailing slash), default {@link DEFAULT_PREFIX}. */
  readonly prefix: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Present: talk TLS (`https://` to every member). */
  readonly tls?: EtcdTlsOptions | undefined;
  /**
   * Deadline of ONE attempt of a unary call (and of one keep-alive). A healthy member answers in
   * milliseconds; an attempt stuck this long is abandoned and retried on another member. Without it a
   * write sent to a follower right after the leader died waits for etcd's own request timeout.
   */
  readonly attemptTimeoutMs: number;
  /** Budget of one call across all its attempts; past it the call fails UNAVAILABLE. */
  readonly callTimeoutMs: number;
  /** How often an idle watch stream is probed (a progress request) to find dead connections. */
  readonly watchProbeMs: number;
  readonly clock: Clock;
  readonly random: Random;
  /** Warned once per key about values and keys under the prefix that are not instances (default: silent). */
  readonly logger?: Logger | undefined;
}

/** Options a caller may set in code; the URL supplies the rest. */
export type EtcdRegistryInput = Partial<EtcdRegistryOptions> & Pick<EtcdRegistryOptions, 'endpoints'>;

/** One attempt: a healthy member answers in milliseconds; a new leader is elected within about 1-2 s. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 1_000;
/** One call over all attempts: enough to ride out a leader election, short enough for a registrar's TTL/3. */
export const DEFAULT_CALL_TIMEOUT_MS = 5_000;
/** An idle watch learns of a dead connection within this plus one attempt timeout. */
export const DEFAULT_WATCH_PROBE_MS = 5_000;

const endpointSchema = lazySchema((z) =>
  z.string().refine((e) => splitAddress(e) !== undefined, 'expected host:port (IPv6 as [::1]:port)'),
);

const prefixSchema = lazySchema((z) =>
  z
    .string()
    .max(256, 'at most 256 characters')
    .regex(/^(\/[A-Za-z0-9._-]+)*$/, 'expected /segment[/segment…] of letters, digits, ".", "_" or "-"'),
);

const optionsSchema = lazySchema((z) =>
  z.object({
    endpoints: z.array(endpointSchema()).min(1, 'at least one host:port'),
    prefix: prefixSchema(),
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    attemptTimeoutMs: z.number().positive().max(600_000),
    callTimeoutMs: z.number().positive().max(600_000),
    watchProbeMs: z.number().positive().max(3_600_000),
  }),
);

/** Fills defaults and validates; INVALID_ARGUMENT names the field (`etcd.endpoints.1`). */
export function resolveEtcdOptions(input: EtcdRegistryInput): EtcdRegistryOptions {
  const options: EtcdRegistryOptions = {
    prefix: DEFAULT_PREFIX,
    attemptTimeoutMs: DEFAULT_ATTEMPT_TIMEOUT_MS,
    callTimeoutMs: DEFAULT_CALL_TIMEOUT_MS,
    watchProbeMs: DEFAULT_WATCH_PROBE_MS,
    clock: systemClock,
    random: systemRandom,
    ...input,
  };
  parseWith(
    optionsSchema(),
    {
      endpoints: options.endpoints,
      prefix: options.prefix,
      username: options.username,
      password: options.password,
      attemptTimeoutMs: options.attemptTimeoutMs,
      callTimeoutMs: options.callTimeoutMs,
      watchProbeMs: options.watchProbeMs,
    },
    'etcd',
  );
  if (options.password !== undefined && options.username === undefined)
    throw invalidArgument('etcd.username', 'a password needs a username');
  const { tls } = options;
  if (tls !== undefined && tls.ca === undefined && (tls.cert !== undefined || tls.key !== undefined))
    throw invalidArgument(
      'etcd.tls.ca',
      'a client certificate needs the CA that signed the server certificate',
    );
  if (tls !== undefined && (tls.cert === undefined) !== (tls.key === undefined))
    throw invalidArgument('etcd.tls.key', 'a client certificate and its key go together');
  return options;
}

const URL_PATTERN = /^etcd:\/\/(?:([^@/?#]*)@)?([^/?#]+)(\/[^?#]*)?(?:\?([^#]*))?$/;
const QUERY_KEYS = new Set(['tls', 'ca', 'cert', 'key', 'attemptTimeout', 'callTimeout', 'watchProbe']);

/**
 * Parses `etcd://[user:password@]h1:2379,h2:2379[/prefix][?tls=1&ca=/ca.pem&cert=…&key=…]`.
 * WHATWG `URL` cannot hold several hosts, so this takes the string. Query keys: `tls` (`1`/`true`),
 * `ca`, `cert`, `key` (PEM file paths; any of them implies TLS), `attemptTimeout`, `callTimeout`,
 * `watchProbe` (durations such as `500ms`, `5s`).
 *
 * @example
 * ```ts
 * parseEtcdUrl('etcd://127.0.0.1:2379,127.0.0.1:22379/prod');
 * // → { endpoints: ['127.0.0.1:2379', '127.0.0.1:22379'], prefix: '/prod' }
 * ```
 */
export function parseEtcdUrl(url: string, field = 'url'): EtcdRegistryInput {
  const match = URL_PATTERN.exec(url.trim());
  if (!match) throw invalidArgument(field, `expected etcd://host:port[,host:port…][/prefix], got "${url}"`);
  const [, userinfo, hosts = '', path = '', query = ''] = match;
  const input: { -readonly [K in keyof EtcdRegistryInput]: EtcdRegistryInput[K] } = {
    endpoints: hosts.split(',').map((h) => h.trim()),
  };
  const prefix = path.replace(/\/+$/, '');
  if (prefix !== '') input.prefix = decodeURIComponent(prefix);
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    input.username = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
    if (colon >= 0) input.password = decodeURIComponent(userinfo.slice(colon + 1));
  }
  const params = new URLSearchParams(query);
  for (const key of params.keys()) {
    if (!QUERY_KEYS.has(key))
      throw invalidArgument(`${field}.${key}`, `unknown option (known: ${[...QUERY_KEYS].join(', ')})`);
  }
  const tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  for (const name of ['ca', 'cert', 'key'] as const) {
    const file = params.get(name);
    if (file !== null) tls[name] = readPemFile(file, `${field}.${name}`);
  }
  const tlsFlag = params.get('tls');
  if (tlsFlag !== null && !['1', 'true', '0', 'false'].includes(tlsFlag))
    throw invalidArgument(`${field}.tls`, `expected 1/true/0/false, got "${tlsFlag}"`);
  if (tlsFlag === '1' || tlsFlag === 'true' || Object.keys(tls).length > 0) input.tls = tls;
  const durations = {
    attemptTimeout: 'attemptTimeoutMs',
    callTimeout: 'callTimeoutMs',
    watchProbe: 'watchProbeMs',
  } as const;
  for (const [param, option] of Object.entries(durations)) {
    const value = params.get(param);
    if (value !== null) input[option] = parseDuration(value, `${field}.${param}`);
  }
  return input;
}

/** The environment variables of etcd credentials (the URL's `user:password@` wins over them). */
export const ETCD_ENV = { username: 'PROXIMA_ETCD_USER', password: 'PROXIMA_ETCD_PASSWORD' } as const;

/**
 * Fills what the URL left out from the environment, so credentials need not sit in a URL:
 * - `PROXIMA_ETCD_USER` / `PROXIMA_ETCD_PASSWORD` when the URL has no `user:password@`;
 * - `PROXIMA_TLS_CA` / `PROXIMA_TLS_CERT` / `PROXIMA_TLS_KEY` (PEM file paths) when the URL asks for
 *   TLS with `tls=1` and names none of `ca`, `cert`, `key` itself. The URL decides whether etcd is
 *   spoken over TLS: the same variables configure the RPC, and setting them must not turn a
 *   plaintext etcd connection into a failing TLS one.
 */
export function etcdEnvDefaults(
  input: EtcdRegistryInput,
  env: Readonly<Record<string, string | undefined>>,
): EtcdRegistryInput {
  const out: { -readonly [K in keyof EtcdRegistryInput]: EtcdRegistryInput[K] } = { ...input };
  const username = env[ETCD_ENV.username];
  if (input.username === undefined && username !== undefined && username !== '') {
    out.username = username;
    const password = env[ETCD_ENV.password];
    if (password !== undefined) out.password = password;
  } else if (input.username === undefined && env[ETCD_ENV.password] !== undefined) {
    throw invalidArgument(ETCD_ENV.username, `${ETCD_ENV.password} needs ${ETCD_ENV.username}`);
  }
  const tls = input.tls;
  if (tls !== undefined && tls.ca === undefined && tls.cert === undefined && tls.key === undefined) {
    const material = tlsMaterialFromEnv(env);
    if (material !== undefined) out.tls = material;
  }
  return out;
}
