import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcessGroup } from '../support/processes.js';
import { runOnce } from './cli-support.js';

// Usage errors from real processes: `node:util` parseArgs splits the words, the typed flag specs
// check them, and every error names the flag and exits 2 (src/core/command-line/parse.ts). The
// registry server's bare entry point (src/server/main.ts) parses the same way.

const group = new ProcessGroup();
afterAll(() => group.killAll());
const SERVER_MAIN = fileURLToPath(new URL('../../src/server/main.ts', import.meta.url));

describe('proxima usage errors', () => {
  it.each([
    [['ls', '--bogus'], 'proxima ls: --bogus: unknown flag'],
    [['ls', '-x'], 'proxima ls: -x: unknown flag'],
    [['watch', 'users', '--registry'], 'proxima watch: --registry: needs a value (--registry URL)'],
    [['watch', '--registry', '--json', 'users'], 'proxima watch: --registry: needs a value (--registry URL)'],
    [['registry', '--port', 'x'], 'proxima registry: --port: expected an integer from 0 to 65535, got "x"'],
    [['ls', '--json=yes'], 'proxima ls: --json: takes no value'],
    [['ls', 'a', 'b'], 'proxima ls: unexpected argument "b"'],
  ])('proxima %j exits 2 with "%s"', async (argv, message) => {
    const run = await runOnce(group, `usage ${argv.join(' ')}`, argv);
    expect(run.code).toBe(2);
    expect(run.output.split('\n')).toEqual([message, `Run 'proxima ${argv[0]} --help' for usage.`]);
  });

  it('--help prints the synopsis and every flag, and exits 0 whatever else is on the line', async () => {
    const run = await runOnce(group, 'help', ['watch', '--bogus', '--help']);
    expect(run.code).toBe(0);
    const lines = run.output.split('\n');
    expect(lines[0]).toMatch(/^Usage: proxima watch /);
    expect(lines.some((l) => /^ {2}--registry URL {2,}registry: memory:/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {2}-h, --help {2,}show this help$/.test(l))).toBe(true);
  });

  it.each([
    [['--port', 'x'], '--port: expected an integer from 0 to 65535, got "x"'],
    [['--bogus'], '--bogus: unknown flag'],
    [['--heartbeat'], '--heartbeat: needs a value (--heartbeat DURATION)'],
  ])('the registry server entry point %j exits 2 with "%s"', async (argv, message) => {
    const server = group.start('server-main', process.execPath, ['--import', 'tsx', SERVER_MAIN, ...argv]);
    expect((await server.exited).code).toBe(2);
    expect(server.lines).toEqual([message]);
  });
});
