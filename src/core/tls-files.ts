import { readFileSync } from 'node:fs';
import { invalidArgument } from './errors.js';

/** PEM material for a TLS endpoint, as buffers. */
export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** The environment variables that name PEM files, shared by every Proxima TLS client and server. */
export const TLS_ENV = { ca: 'PROXIMA_TLS_CA', cert: 'PROXIMA_TLS_CERT', key: 'PROXIMA_TLS_KEY' } as const;

/** Reads a PEM file, naming the field (option or variable) in the error when it cannot be read. */
export function readPemFile(file: string, field: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw invalidArgument(field, `cannot read ${file}: ${(error as Error).message}`);
  }
}

/**
 * TLS material named by `PROXIMA_TLS_CA`, `PROXIMA_TLS_CERT` and `PROXIMA_TLS_KEY` (file paths), or
 * `undefined` when none is set. A certificate without its key (or the reverse) is refused, naming
 * the variable.
 */
export function tlsMaterialFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): TlsMaterial | undefined {
  const out: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  for (const [name, variable] of Object.entries(TLS_ENV) as [keyof TlsMaterial, string][]) {
    const file = env[variable];
    if (file !== undefined && file !== '') out[name] = readPemFile(file, variable);
  }
  if ((out.cert === undefined) !== (out.key === undefined))
    throw invalidArgument(
      out.cert === undefined ? TLS_ENV.cert : TLS_ENV.key,
      `${TLS_ENV.cert} and ${TLS_ENV.key} go together`,
    );
  return Object.keys(out).length === 0 ? undefined : out;
}
