import { invalidArgument, isProximaError } from '../core/errors.js';
import { openRegistry, registryUrlFromEnv } from '../backends/open.js';
import type { Registry } from '../registry/registry.js';
import type { CommandContext } from './command.js';
import type { FlagSpec } from './flags.js';

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

/** The registry URL a command should use: `--registry`, else `PROXIMA_REGISTRY`, else the default. */
export function registryUrl(flag: string | undefined, env: CommandContext['env']): string {
  return flag ?? registryUrlFromEnv(env);
}

/** Opens the registry named by `--registry` (or the environment); a bad URL is a `--registry` usage error. */
export async function openRegistryFlag(flag: string | undefined, context: CommandContext): Promise<Registry> {
  const url = registryUrl(flag, context.env);
  try {
    return await openRegistry(url, { signal: context.signal, logger: context.logger });
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
