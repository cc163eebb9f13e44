import { parseArgs, type ParseArgsConfig } from 'node:util';
import { invalidArgument, ProximaError } from '../errors.js';
import type { FlagSpec, FlagSpecs, FlagValues, PositionalSpec } from './flags.js';

/** A parsed command line. */
export interface CommandLine<S extends FlagSpecs> {
  readonly flags: FlagValues<S>;
  /** Positionals by name; absent optional ones are undefined. */
  readonly positionals: Readonly<Record<string, string | undefined>>;
  /** True when `--help`/`-h` was given: nothing else is checked then. */
  readonly help: boolean;
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];
type RawValues = Record<string, string | string[] | boolean | undefined>;

/**
 * Parses `argv` (after the command name) against the command's flags and positionals:
 * `--name value`, `--name=value`, booleans as bare `--name`, repeatable list flags, `--` to end
 * flags. `node:util` `parseArgs` splits the words; this checks them against the specs, so every
 * error is INVALID_ARGUMENT whose `field` is the offending flag (`--port`) or positional.
 */
export function parseCommandLine<S extends FlagSpecs>(
  specs: S,
  positionalSpecs: readonly PositionalSpec[],
  argv: readonly string[],
): CommandLine<S> {
  if (argv.some((arg) => arg === '--help' || arg === '-h')) {
    return { flags: defaults(specs), positionals: {}, help: true };
  }
  // Not strict: parseArgs' own errors name no field, and strict mode refuses values that start
  // with a dash (`--offset -1`). Every token is checked below instead.
  const { tokens } = parseArgs({
    args: [...argv],
    options: parseArgsOptions(specs),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values: RawValues = defaults(specs);
  const given = new Set<string>();
  const rest: string[] = [];
  const negativeNumbers = new Set<number>();
  for (const token of tokens) {
    if (token.kind === 'positional') rest.push(token.value);
    else if (token.kind === 'option') takeOption(token, specs, argv, values, given, rest, negativeNumbers);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.type === 'string' && spec.required === true && !given.has(name))
      throw invalidArgument(`--${name}`, `is required (--${name} ${spec.placeholder})`);
  }
  return { flags: values as FlagValues<S>, positionals: positionals(positionalSpecs, rest), help: false };
}

function takeOption(
  token: Extract<Token, { kind: 'option' }>,
  specs: FlagSpecs,
  argv: readonly string[],
  values: RawValues,
  given: Set<string>,
  rest: string[],
  negativeNumbers: Set<number>,
): void {
  const word = argv[token.index] ?? token.rawName;
  // `-1` is a value, not a short flag (parseArgs splits `-12` into `-1 -2`: keep the word once).
  if (/^-\d/.test(word)) {
    if (!negativeNumbers.has(token.index)) rest.push(word);
    negativeNumbers.add(token.index);
    return;
  }
  const spec: FlagSpec | undefined = Object.hasOwn(specs, token.name) ? specs[token.name] : undefined;
  if (spec === undefined || !token.rawName.startsWith('--'))
    throw invalidArgument(token.rawName, 'unknown flag');
  const flag = token.rawName;
  if (spec.type === 'boolean') {
    if (token.value !== undefined) throw invalidArgument(flag, 'takes no value');
    values[token.name] = true;
    return;
  }
  const value = token.value;
  // `--service --json`: a flag where the value should be is a forgotten value, not the value.
  if (value === undefined || (!token.inlineValue && value.startsWith('--') && value.length > 2))
    throw invalidArgument(flag, `needs a value (${flag} ${spec.placeholder})`);
  if (spec.type === 'list') {
    (values[token.name] as string[]).push(value);
    return;
  }
  if (given.has(token.name)) throw invalidArgument(flag, 'given more than once');
  given.add(token.name);
  values[token.name] = value;
}

/** What parseArgs needs to know to split the words: which flags take a value. */
function parseArgsOptions(specs: FlagSpecs): NonNullable<ParseArgsConfig['options']> {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] =
      spec.type === 'boolean'
        ? { type: 'boolean' }
        : spec.type === 'list'
          ? { type: 'string', multiple: true }
          : { type: 'string' };
  }
  return options;
}

function defaults<S extends FlagSpecs>(specs: S): FlagValues<S> & RawValues {
  const values: RawValues = {};
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
