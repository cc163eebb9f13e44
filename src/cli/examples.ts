import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidArgument } from '../core/errors.js';

/**
 * The examples that ship with the package: `examples/` at the package root, two levels up from
 * this module both in `src/cli/` (tsx) and `dist/cli/` (the build), so `proxima simulate
 * --example three-zones` works from an installed package as well as from a clone.
 */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

/** The kinds of example: demo scripts (`examples/NAME.demo`) and scenarios (`examples/scenarios/NAME.json`). */
export type ExampleKind = 'demo-script' | 'scenario';

const PLACES: Readonly<Record<ExampleKind, { readonly dir: string; readonly extension: string }>> = {
  'demo-script': { dir: EXAMPLES_DIR, extension: '.demo' },
  scenario: { dir: join(EXAMPLES_DIR, 'scenarios'), extension: '.json' },
};

/** The names of the shipped examples of one kind, sorted (empty when `examples/` is missing). */
export function exampleNames(kind: ExampleKind): string[] {
  const { dir, extension } = PLACES[kind];
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith(extension))
      .map((name) => name.slice(0, -extension.length))
      .sort();
  } catch {
    return [];
  }
}

/**
 * The path of the shipped example `name`; an unknown name is an INVALID_ARGUMENT naming `flag`
 * and listing the names there are.
 */
export function examplePath(kind: ExampleKind, name: string, flag: string): string {
  const names = exampleNames(kind);
  if (!names.includes(name)) {
    throw invalidArgument(flag, `no example "${name}" (examples: ${names.join(', ') || 'none shipped'})`);
  }
  const { dir, extension } = PLACES[kind];
  return join(dir, `${name}${extension}`);
}
