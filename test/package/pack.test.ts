import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessGroup } from '../support/processes.js';

// The package as a newcomer gets it: `npm pack`, then `npm install <tarball>` into an empty app
// (dependencies from the npm cache / registry), then the README's example run from that app
// against a registry started from the installed package's own `proxima` bin.

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const MANIFEST = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  engines: { node: string };
};
const NAME = MANIFEST.name;
const group = new ProcessGroup();

interface PackedFile {
  readonly path: string;
}

let work = '';
let tarball = '';
let files: string[] = [];
let app = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'proxima-pack-'));
  // --ignore-scripts: `prepack` would delete and rebuild dist/ under the other test files that run
  // it at the same time; the test command has just built it (scripts/test.sh).
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run npm run build');
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const packed = (
    JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string; files: PackedFile[] }>
  )[0];
  if (packed === undefined) throw new Error(`npm pack printed no package: ${stdout}`);
  tarball = join(work, packed.filename);
  files = packed.files.map((f) => f.path).sort();

  app = join(work, 'app');
  await run('mkdir', ['-p', app]);
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({ name: 'newcomer-app', private: true, type: 'module' }),
  );
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
    cwd: app,
    maxBuffer: 64 * 1024 * 1024,
  });
}, 600_000);

afterAll(async () => {
  await group.killAll();
  if (work !== '') await rm(work, { recursive: true, force: true });
});

describe('the published package', () => {
  it('ships the build, the bin, the dashboard, the examples and the licence, and nothing else', () => {
    for (const expected of [
      'LICENSE',
      'README.md',
      'package.json',
      'bin/proxima.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'src/dashboard/static/index.html',
      'examples/full-tour.demo',
      'examples/scenarios/three-zones.json',
    ]) {
      expect(files, expected).toContain(expected);
    }
    const stray = files.filter(
      (f) =>
        f.endsWith('.tsbuildinfo') ||
        /\.test\.(js|d\.ts)$/.test(f) ||
        f.includes('/testing/') ||
        (f.startsWith('src/') && !f.startsWith('src/dashboard/static/')) ||
        f.startsWith('test/') ||
        f.startsWith('bench/'),
    );
    expect(stray).toEqual([]);
    // A clean build: every module shipped still has its source (no leftovers of moved files).
    const orphans = files.filter(
      (f) =>
        f.startsWith('dist/') && f.endsWith('.js') && !existsSync(join(ROOT, 'src', f.slice(5, -3) + '.ts')),
    );
    expect(orphans).toEqual([]);
  });

  it('states the same Node.js range in package.json engines and the README', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    expect(MANIFEST.engines.node).toMatch(/^>=\d+\.\d+\.\d+$/);
    const stated = [...readme.matchAll(/Node(?:\.js)? ≥ (\d+(?:\.\d+)*)/g)].map((m) => m[1]);
    expect(stated.length).toBeGreaterThan(0);
    expect(new Set(stated)).toEqual(new Set([MANIFEST.engines.node.slice(2)]));
  });

  it('ships source maps only with their sources inside', async () => {
    const maps = files.filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const file of maps.slice(0, 200)) {
      const map = JSON.parse(await readFile(join(app, 'node_modules', NAME, file), 'utf8')) as {
        sources: string[];
        sourcesContent?: Array<string | null>;
      };
      expect(map.sourcesContent?.length, file).toBe(map.sources.length);
      expect(
        map.sourcesContent?.every((s) => typeof s === 'string' && s.length > 0),
        file,
      ).toBe(true);
    }
  });

  it('runs the README example from an empty app against a registry started from the installed bin', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## A service and a caller'));
    const source = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(source, 'README has a TypeScript example under "A service and a caller"').toBeDefined();
    const js = ts.transpileModule(source as string, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    await writeFile(join(app, 'example.mjs'), js);

    const registry = group.start(
      'registry',
      join(app, 'node_modules', '.bin', 'proxima'),
      ['registry', '--port', '0'],
      {
        PROXIMA_LOG_LEVEL: 'warn',
      },
    );
    const line = await registry.waitForLine(/^registry listening on http:\/\//, 30_000);
    const url = line.slice('registry listening on '.length).trim();
    await registry.waitForLine(/^dashboard: /, 10_000);

    const example = group.start('example', process.execPath, [join(app, 'example.mjs')], {
      PROXIMA_REGISTRY: url,
    });
    const { code } = await example.exited;
    const output = example.lines.join('\n');
    expect(code, output).toBe(0);
    expect(output).toContain("text: 'hello, Ada'");
    expect(output).toMatch(/eu-west-1a/);
  }, 120_000);

  it('runs the shipped examples by name from the installed bin, and lists them in --help', async () => {
    const bin = join(app, 'node_modules', '.bin', 'proxima');
    const simulate = await run(bin, ['simulate', '--example', 'three-zones'], { cwd: app });
    expect(simulate.stdout).toMatch(/^locality\+p2c-ewma\s+\d+/m);
    expect((await run(bin, ['simulate', '--help'], { cwd: app })).stdout).toContain('three-zones');
    expect((await run(bin, ['demo', '--help'], { cwd: app })).stdout).toContain('full-tour');

    const demo = group.start(
      'demo-full-tour',
      bin,
      ['demo', '--script', 'full-tour', '--duration', '3s', '--per-zone', '1', '--rate', '20', '--port', '0'],
      { PROXIMA_LOG_LEVEL: 'warn' },
    );
    const { code } = await demo.exited;
    const output = demo.lines.join('\n');
    // 3 s is too short for the tour's verdict (exit 1 is a failed check); a script that did not
    // load would be a usage error (exit 2) before anything started.
    expect([0, 1], output).toContain(code);
    expect(output).toContain('dashboard: http://');
    expect(output).toMatch(/^stopped: none of the \d+ demo processes is left$/m);
  }, 120_000);

  it('names the optional peer to install when an entry point needs one that is missing', async () => {
    const probe = [
      `const { openRegistry } = await import('${NAME}');`,
      'const outcomes = [];',
      `for (const load of [() => import('${NAME}/grpc'), () => import('${NAME}/metrics'), () => openRegistry('etcd://127.0.0.1:1')]) {`,
      '  try { await load(); outcomes.push("loaded"); } catch (e) { outcomes.push(`${e.code}: ${e.message}`); }',
      '}',
      'console.log(JSON.stringify(outcomes));',
    ].join('\n');
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: app });
    const outcomes = JSON.parse(stdout) as string[];
    expect(outcomes).toEqual([
      expect.stringMatching(/^FAILED_PRECONDITION: .*"@grpc\/grpc-js".*npm install @grpc\/grpc-js$/),
      expect.stringMatching(/^FAILED_PRECONDITION: .*"prom-client".*npm install prom-client$/),
      expect.stringMatching(/^FAILED_PRECONDITION: .*"etcd3".*npm install etcd3$/),
    ]);
  });
});
