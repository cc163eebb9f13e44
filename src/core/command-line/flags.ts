/**
 * Declarative flags: a command lists its flags once, and {@link parseCommandLine} (in `parse.ts`)
 * both parses them and types the result, so `--port` comes back as `string` when it has a default
 * and as `string | undefined` when it does not, with no casts in the commands.
 */
export type FlagSpec = StringFlag | ListFlag | BooleanFlag;

interface FlagDoc {
  /** One line for `--help`. */
  readonly description: string;
}

export interface StringFlag extends FlagDoc {
  readonly type: 'string';
  /** Shown in `--help` as `--port PORT`. */
  readonly placeholder: string;
  readonly default?: string;
  readonly required?: boolean;
}

/** A string flag that may be repeated: `--meta a=1 --meta b=2`. */
export interface ListFlag extends FlagDoc {
  readonly type: 'list';
  readonly placeholder: string;
}

export interface BooleanFlag extends FlagDoc {
  readonly type: 'boolean';
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
}

/** The parsed value of one flag, by its spec. */
export type FlagValue<S extends FlagSpec> = S extends BooleanFlag
  ? boolean
  : S extends ListFlag
    ? string[]
    : S extends { readonly default: string } | { readonly required: true }
      ? string
      : string | undefined;

export type FlagValues<S extends FlagSpecs> = { readonly [K in keyof S]: FlagValue<S[K]> };
