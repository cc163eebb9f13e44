import { readFileSync } from 'node:fs';
import { invalidArgument, isProximaError } from '../core/errors.js';
import { openRegistry, registryUrlFromEnv } from '../backends/open.js';
import type { Registry } from '../registry/registry.js';
import type { CommandContext } from './command.js';
import type { FlagSpec } from '../core/command-line/flags.js';

/** Flags every command takes (besides `--help`). */
export const COMMON_FLAGS = {
  registry: {
    type: 'string',
    placeholder: 'URL',
    description:
      'registry: memory:, http://HOST:PORT or etcd://H1:P1,H2:P2 (default $PROXIMA_REGISTRY, else http://127.0.0.1:7070)',
  },
  'log-level': {
    type: 'string',
    placeholder: 'LEVEL',
    description:
      'log level on stderr: fatal, error, warn, info, debug, trace or silent (default $PROXIMA_LOG_LEVEL, else info)',
  },
} as const satisfies Record<string, FlagSpec>;

/** Flags of every command that talks to a registry: its bearer token. */
export const TOKEN_FLAGS = {
  token: {
    type: 'string',
    placeholder: 'TOKEN',
    description:
      'bearer token for the registry (default $PROXIMA_TOKEN; prefer --token-file: argv is visible in ps)',
  },
  'token-file': {
    type: 'string',
    placeholder: 'FILE',
    description: 'read the bearer token from FILE (first line)',
  },
} as const satisfies Record<string, FlagSpec>;

/** The flags {@link openRegistryFlag} reads. */
export interface RegistryClientFlags {
  readonly registry: string | undefined;
  readonly token: string | undefined;
  readonly 'token-file': string | undefined;
}

/** The token a command should send: `--token`, else `--token-file`, else `PROXIMA_TOKEN`, else none. */
export function tokenFromFlags(flags: RegistryClientFlags, env: CommandContext['env']): string | undefined {
  if (flags.token !== undefined && flags['token-file'] !== undefined) {
    throw invalidArgument('--token', 'give either --token or --token-file, not both');
  }
  if (flags.token !== undefined) return flags.token;
  const file = flags['token-file'];
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw invalidArgument('--token-file', `cannot read ${file}: ${(error as Error).message}`);
    }
    const token = text.split(/\r?\n/)[0]?.trim() ?? '';
    if (token === '') throw invalidArgument('--token-file', `${file} is empty`);
    return token;
  }
  const fromEnv = env.PROXIMA_TOKEN?.trim();
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/** The registry URL a command should use: `--registry`, else `PROXIMA_REGISTRY`, else the default. */
export function registryUrl(flag: string | undefined, env: CommandContext['env']): string {
  return flag ?? registryUrlFromEnv(env);
}

/**
 * Opens the registry named by `--registry` (or the environment) with the token of `--token`,
 * `--token-file` or `PROXIMA_TOKEN`; a bad URL is a `--registry` usage error.
 */
export async function openRegistryFlag(
  flags: RegistryClientFlags,
  context: CommandContext,
): Promise<Registry> {
  const url = registryUrl(flags.registry, context.env);
  const token = tokenFromFlags(flags, context.env);
  try {
    return await openRegistry(url, {
      signal: context.signal,
      logger: context.logger,
      env: context.env,
      ...(token === undefined ? {} : { token }),
    });
  } catch (error) {
    if (isProximaError(error) && error.code === 'INVALID_ARGUMENT') {
      throw invalidArgument('--registry', error.message.replace(/^registry: /, ''));
    }
    throw error;
  }
}

/**
 * Renames the field of an INVALID_ARGUMENT thrown by the library (`instance.address`) to the flag
 * the user typed (`--address`), so the message names what they can fix.
 */
export function asFlagError(error: unknown, flags: Readonly<Record<string, string>>): unknown {
  if (!isProximaError(error) || error.code !== 'INVALID_ARGUMENT' || error.field === undefined) return error;
  const field = error.field;
  const match = Object.keys(flags)
    .filter((prefix) => field === prefix || field.startsWith(`${prefix}.`))
    .sort((a, b) => b.length - a.length)[0];
  if (match === undefined) return error;
  const problem = error.message.startsWith(`${field}: `)
    ? error.message.slice(field.length + 2)
    : error.message;
  return invalidArgument(flags[match] as string, problem);
}
