/**
 * `npm start`: builds `dist/` once (tsc, incremental: a second start rebuilds only what changed),
 * saying so, then runs `proxima demo` with the arguments given after `--`. The demo says each of
 * its steps itself (registry, dashboard URL, instances, client). Ctrl-C reaches the demo, which
 * stops every process it started; this script exits with the demo's code.
 *
 *   npm start                        # the live demo until Ctrl-C
 *   npm start -- --duration 30s      # a headless run with a verdict
 */
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const say = (text: string): void => void process.stdout.write(`npm start: ${text}\n`);

say('building dist/ with tsc (a first build takes up to a minute; later ones redo only what changed)…');
const started = performance.now();
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
  cwd: ROOT,
  stdio: 'inherit',
});
if (build.status !== 0) {
  say(`the build failed (exit ${build.status ?? build.signal}); nothing started`);
  process.exit(1);
}
say(`built in ${((performance.now() - started) / 1000).toFixed(1)} s; starting the demo`);

const demo = spawn(process.execPath, ['bin/proxima.js', 'demo', ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
});
// The terminal sends Ctrl-C to the whole process group; a SIGTERM sent to this script alone is
// passed on, so the demo always gets to stop its processes.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => demo.kill('SIGTERM'));
demo.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 130)));
