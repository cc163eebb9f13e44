import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What a cold `import { createClient } from '<package>'` loads, from the built dist/ through the
// package's `exports` map, and where the rest went (the first createClient / createServer). The
// time is measured by bench/import/cold-import.ts; this guards the module graph that time comes
// from, without a clock.

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const NAME = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { name: string }).name;

let work = '';
let register = '';

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run npm run build');
  work = await mkdtemp(join(tmpdir(), 'proxima-graph-'));
  // Records every ES module URL the process resolves (module.register hooks see import, not require).
  await writeFile(
    join(work, 'hooks.mjs'),
    [
      'export async function resolve(specifier, context, next) {',
      '  const resolved = await next(specifier, context);',
      '  process.stderr.write(`esm ${resolved.url}\\n`);',
      '  return resolved;',
      '}',
    ].join('\n'),
  );
  register = join(work, 'register.mjs');
  await writeFile(
    register,
    "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
  );
});

afterAll(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

interface Loaded {
  /** Resolved ES module URLs, relative to node_modules/ or dist/ where they are there. */
  readonly esm: string[];
  /** CommonJS files in require.cache, the same way. */
  readonly cjs: string[];
}

function short(path: string): string {
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  const dist = path.indexOf('/dist/');
  return dist >= 0 ? path.slice(dist + 1) : path;
}

/** Runs `code` (an ES module body) in a fresh node and lists what it loaded. */
async function loadedBy(code: string): Promise<Loaded> {
  const probe = [
    code,
    "const { createRequire } = await import('node:module');",
    'const cache = createRequire(import.meta.url).cache;',
    "process.stdout.write(JSON.stringify(Object.keys(cache)) + '\\n');",
  ].join('\n');
  const { stdout, stderr } = await run(
    process.execPath,
    ['--import', register, '--input-type=module', '-e', probe],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  const esm = stderr
    .split('\n')
    .filter((l) => l.startsWith('esm file://'))
    .map((l) => short(new URL(l.slice(4)).pathname));
  const cjs = (JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as string[]).map(short);
  return { esm: [...new Set(esm)], cjs };
}

const packageOf = (file: string): string => {
  const parts = file.split('/');
  return (file.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
};

const HEAVY = [
  'zod',
  'msgpackr',
  'undici',
  'pino',
  'cockatiel',
  'prom-client',
  'etcd3',
  '@grpc/grpc-js',
  '@opentelemetry/api',
];

describe(`the root entry, ${NAME}`, { timeout: 120_000 }, () => {
  it('loads none of the dependencies and none of the client or registry-server machinery', async () => {
    const loaded = await loadedBy(`const { createClient } = await import('${NAME}');`);
    const packages = [...loaded.esm, ...loaded.cjs].filter((f) => !f.startsWith('dist/'));
    expect(packages.filter((f) => !f.startsWith('/')).map(packageOf)).toEqual([]);
    const ours = loaded.esm.filter((f) => f.startsWith('dist/'));
    expect(ours).toContain('dist/index.js');
    for (const machinery of [
      'dist/client/proxima-client.js',
      'dist/discovery/discoverer.js',
      'dist/routing/router.js',
      'dist/server/registry-server.js',
      'dist/backends/http/http-registry.js',
    ]) {
      expect(ours).not.toContain(machinery);
    }
    for (const heavy of HEAVY) expect(packages.map(packageOf)).not.toContain(heavy);
  });

  it("the first createClient loads the client and zod's ES build, the copy an application imports", async () => {
    const loaded = await loadedBy(
      [
        "const { z } = await import('zod');",
        `const { createClient } = await import('${NAME}');`,
        "const client = await createClient({ registry: 'memory:', env: {} });",
        'await client.close();',
      ].join('\n'),
    );
    expect(loaded.esm).toContain('dist/client/proxima-client.js');
    expect(loaded.esm).toContain('zod/index.js');
    // One copy of zod: the application's; Proxima did not require the CommonJS build as well.
    expect(loaded.cjs.filter((f) => f.startsWith('zod/'))).toEqual([]);
  });

  it('createServer, which is synchronous, loads zod (CommonJS build) and msgpackr when called', async () => {
    const before = await loadedBy(`const { createServer } = await import('${NAME}');`);
    expect(before.cjs.filter((f) => f.startsWith('zod/') || f.startsWith('msgpackr/'))).toEqual([]);
    const after = await loadedBy(
      [`const { createServer } = await import('${NAME}');`, 'createServer({ services: [], env: {} });'].join(
        '\n',
      ),
    );
    expect(after.cjs.map(packageOf)).toContain('zod');
    expect(after.cjs.map(packageOf)).toContain('msgpackr');
  });
});
