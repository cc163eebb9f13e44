import { invalidArgument, ProximaError } from '../core/errors.js';
import type { FlagSpec, FlagSpecs, FlagValues, PositionalSpec } from './flags.js';

/** A parsed command line. */
export interface CommandLine<S extends FlagSpecs> {
  readonly flags: FlagValues<S>;
  /** Positionals by name; absent optional ones are undefined. */
  readonly positionals: Readonly<Record<string, string | undefined>>;
  /** True when `--help`/`-h` was given: nothing else is checked then. */
  readonly help: boolean;
}

/**
 * Parses `argv` (after the command name) against the command's flags and positionals:
 * `--name value`, `--name=value`, booleans as bare `--name`, repeatable list flags, `--` to end
 * flags. Throws INVALID_ARGUMENT whose `field` is the offending flag (`--port`) or positional.
 */
export function parseCommandLine<S extends FlagSpecs>(
  specs: S,
  positionalSpecs: readonly PositionalSpec[],
  argv: readonly string[],
): CommandLine<S> {
  if (argv.some((arg) => arg === '--help' || arg === '-h')) {
    return { flags: defaults(specs), positionals: {}, help: true };
  }
  const values: Record<string, string | string[] | boolean | undefined> = defaults(specs);
  const given = new Set<string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      rest.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(arg.startsWith('--') ? 2 : 1, eq === -1 ? undefined : eq);
    const flag = `--${name}`;
    const spec: FlagSpec | undefined = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (spec === undefined || !arg.startsWith('--'))
      throw invalidArgument(arg.split('=')[0] ?? arg, 'unknown flag');
    if (spec.type === 'boolean') {
      if (eq !== -1) throw invalidArgument(flag, 'takes no value');
      values[name] = true;
      continue;
    }
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2))
        throw invalidArgument(flag, `needs a value (${flag} ${spec.placeholder})`);
      value = next;
      i++;
    }
    if (spec.type === 'list') {
      (values[name] as string[]).push(value);
      continue;
    }
    if (given.has(name)) throw invalidArgument(flag, 'given more than once');
    given.add(name);
    values[name] = value;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.type === 'string' && spec.required === true && !given.has(name))
      throw invalidArgument(`--${name}`, `is required (--${name} ${spec.placeholder})`);
  }
  return { flags: values as FlagValues<S>, positionals: positionals(positionalSpecs, rest), help: false };
}

function defaults<S extends FlagSpecs>(
  specs: S,
): FlagValues<S> & Record<string, string | string[] | boolean | undefined> {
  const values: Record<string, string | string[] | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(specs)) {
    values[name] = spec.type === 'boolean' ? false : spec.type === 'list' ? [] : spec.default;
  }
  return values as FlagValues<S> & typeof values;
}

function positionals(
  specs: readonly PositionalSpec[],
  rest: readonly string[],
): Record<string, string | undefined> {
  if (rest.length > specs.length) {
    const extra = rest[specs.length] as string;
    throw new ProximaError('INVALID_ARGUMENT', `unexpected argument "${extra}"`, { field: extra });
  }
  const out: Record<string, string | undefined> = {};
  specs.forEach((spec, index) => {
    const value = rest[index];
    if (value === undefined && spec.required) throw invalidArgument(spec.name, 'is required');
    out[spec.name] = value;
  });
  return out;
}
