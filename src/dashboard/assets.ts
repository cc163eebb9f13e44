import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One static file of the page, read once and served from memory. */
export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Where the page lives: `src/dashboard/static/` under the package root. Resolved from this module
 * two levels up, which is the package root both from `src/dashboard/` (tsx) and from
 * `dist/dashboard/` (the build), so the page needs no copy step.
 */
export const STATIC_DIR = fileURLToPath(new URL('../../src/dashboard/static/', import.meta.url));

/** Reads every servable file of `dir` (by extension), keyed by file name. */
export function loadAssets(dir: string = STATIC_DIR): ReadonlyMap<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const contentType = TYPES[extname(name)];
    if (contentType !== undefined) assets.set(name, { body: readFileSync(join(dir, name)), contentType });
  }
  return assets;
}
