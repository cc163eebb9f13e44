import { createRequire } from 'node:module';
import type { z } from 'zod';

/** The `z` namespace of zod, as `import { z } from 'zod'` gives it. */
export type Zod = typeof z;

/**
 * The one copy of zod Proxima validates with, loaded on first use rather than at import: zod's
 * module graph (95 files) is most of what a cold `import '@proxima-rpc/proxima'` used to cost, and
 * an application that never passes Proxima an option pays nothing for it. Held at module level
 * like the module cache it stands in for; it is written once and never changes.
 */
let loaded: Zod | undefined;

/**
 * zod's `z`, loading it synchronously when nothing loaded it yet (through zod's CommonJS build:
 * options are checked in synchronous constructors such as `createServer`, and an ES module cannot
 * be loaded synchronously). {@link preloadZod} lets asynchronous entry points take the ES build
 * instead, the copy an application's own `import { z } from 'zod'` already loaded.
 */
export function zod(): Zod {
  loaded ??= (createRequire(import.meta.url)('zod') as { z: Zod }).z;
  return loaded;
}

/**
 * Loads zod's ES module build (shared with the application's `import { z } from 'zod'`, so a
 * process that already has zod does not load a second copy), unless a copy is in use already:
 * once a schema is built, every later schema must come from the same copy.
 */
export async function preloadZod(): Promise<void> {
  if (loaded !== undefined) return;
  const esm = (await import('zod')).z;
  loaded ??= esm;
}

/**
 * A schema built on first use: `build` runs once, with zod's `z`, the first time the returned
 * function is called, and every later call returns the same schema. Modules declare their
 * schemas this way so that importing them neither loads zod nor builds schemas nobody uses.
 *
 * @example
 * ```ts
 * const portSchema = lazySchema((z) => z.number().int().min(0).max(65_535));
 * type Port = z.output<ReturnType<typeof portSchema>>;
 * parseWith(portSchema(), input, 'port');
 * ```
 */
export function lazySchema<S>(build: (z: Zod) => S): () => S {
  let built: { readonly schema: S } | undefined;
  return () => {
    built ??= { schema: build(zod()) };
    return built.schema;
  };
}
