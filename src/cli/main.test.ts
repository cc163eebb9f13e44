import { describe, expect, it } from 'vitest';
import { COMMANDS } from './commands.js';
import { runCli, startCli } from './testing/run-cli.js';

describe('proxima: usage', () => {
  it('lists the commands on --help and exits 0', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(run.stdout).toContain(`  ${name}`);
  });

  it('prints usage on stderr and exits 2 without a command or with an unknown one', async () => {
    expect(await runCli([])).toMatchObject({ code: 2, stdout: '' });
    const unknown = await runCli(['lsit']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "lsit"/);
  });

  // `demo` starts its own embedded registry and `simulate` models one: neither talks to a registry
  // given by URL, so only they go without `--registry`.
  const OWN_REGISTRY = new Set(['demo', 'simulate']);

  it.each(Object.keys(COMMANDS))('documents %s on --help, with --registry and --help', async (name) => {
    const run = await runCli([name, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: proxima ${name}`));
    if (OWN_REGISTRY.has(name)) expect(run.stdout).not.toContain('--registry URL');
    else expect(run.stdout).toContain('--registry URL');
    expect(run.stdout).toContain('-h, --help');
    expect((await runCli(['help', name])).stdout).toBe(run.stdout);
  });

  it.each([
    [['ls', '--bogus'], '--bogus: unknown flag'],
    [['ls', '--json=1'], '--json: takes no value'],
    [['ls', 'a', 'b'], 'unexpected argument "b"'],
    [['ls', 'not a service'], 'SERVICE: '],
    [['ls', '--registry', 'gopher://x'], '--registry: unsupported scheme'],
    [['ls', '--registry', 'not a url'], '--registry: '],
    [['ls', '--log-level', 'loud'], '--log-level: expected one of'],
    [['watch'], 'SERVICE: is required'],
    [['watch', 'users', '--json', '--since', '3'], '--since: unknown flag'],
    [['registry', '--port', '70000'], '--port: expected an integer from 0 to 65535'],
    [['registry', '--port'], '--port: needs a value'],
    [['register', '--address', '127.0.0.1:1'], '--service: is required'],
    [['register', '--service', 'users'], '--address: is required'],
    [['register', '--service', 'users', '--address', 'nowhere'], '--address: expected host:port'],
    [
      ['register', '--service', 'users', '--address', '127.0.0.1:1', '--ttl', 'soon'],
      '--ttl: expected a duration',
    ],
    [['register', '--service', 'users', '--address', '127.0.0.1:1', '--weight', 'heavy'], '--weight: '],
    [
      ['register', '--service', 'users', '--address', '127.0.0.1:1', '--meta', 'novalue'],
      '--meta: expected KEY=VALUE',
    ],
    [['register', '--service', 'users', '--address', '127.0.0.1:1', '--protocol', 'smtp'], '--protocol: '],
    [['register', '--service', 'users', '--address', '127.0.0.1:1', '--zone', 'a b'], '--zone: '],
    [['register', '--service', 'bad name', '--address', '127.0.0.1:1'], '--service: '],
    [['demo', '--load-spill', 'maybe'], '--load-spill: expected on or off, got "maybe"'],
  ])('%j exits 2 naming the flag', async (argv, message) => {
    const run = await runCli(argv, { PROXIMA_REGISTRY: 'memory:' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`proxima ${argv[0]}: ${message}`);
    expect(run.stderr).toContain(`Run 'proxima ${argv[0]} --help' for usage.`);
  });

  it('names a bad PROXIMA_LOG_LEVEL', async () => {
    const run = await runCli(['ls'], { PROXIMA_LOG_LEVEL: 'loud' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('PROXIMA_LOG_LEVEL: expected one of');
  });

  it('exits 1 with the error code when the registry is unreachable', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const run = await runCli(['ls', '--registry', 'http://127.0.0.1:1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^proxima ls: .*\(UNAVAILABLE\)$/m);
  });
});

describe('proxima: commands in one process against a real registry server', () => {
  it('serves where PROXIMA_REGISTRY points when no --host/--port is given', async () => {
    // Port 0 in the URL: any free port, which proves the URL (not the 7070 default) was used.
    const server = startCli(['registry'], { PROXIMA_REGISTRY: 'http://127.0.0.1:0' });
    const url = await server.waitFor(/http:\/\/127\.0\.0\.1:\d+/);
    expect(url).not.toBe('http://127.0.0.1:7070');
    expect(url).not.toBe('http://127.0.0.1:0');
    expect((await server.stop()).code).toBe(0);
  });

  it('registry, register, ls and watch work together and shut down cleanly', async () => {
    const server = startCli(['registry', '--port', '0']);
    const url = (await server.waitFor(/http:\/\/127\.0\.0\.1:\d+/)).trim();
    const env = { PROXIMA_REGISTRY: url };

    const watch = startCli(['watch', 'users', '--json'], env);
    await watch.waitFor(/"type":"reset"/);
    const register = startCli(
      [
        'register',
        '--service',
        'users',
        '--address',
        '127.0.0.1:9001',
        '--id',
        'u1',
        '--meta',
        'v=2',
        '--ttl',
        '5s',
      ],
      { ...env, PROXIMA_REGION: 'eu', PROXIMA_ZONE: 'eu-1a' },
    );
    expect(await register.waitFor(/registered users\/u1 .*/)).toContain('(eu/eu-1a)');
    await watch.waitFor(/"type":"upsert"/);

    const ls = await runCli(['ls', '--json'], env);
    expect(ls.code).toBe(0);
    const [listing] = (
      JSON.parse(ls.stdout) as { services: Array<{ service: string; instances: unknown[] }> }
    ).services;
    expect(listing?.service).toBe('users');
    expect(listing?.instances).toEqual([
      expect.objectContaining({
        id: 'u1',
        locality: { region: 'eu', zone: 'eu-1a', subzone: '' },
        metadata: { v: '2' },
      }),
    ]);
    const table = await runCli(['ls', 'users'], env);
    expect(table.stdout).toMatch(
      /^SERVICE\s+ID\s+ADDRESS\s+PROTOCOL\s+REGION\s+ZONE\s+SUBZONE\s+WEIGHT\s+STATUS$/m,
    );
    expect(table.stdout).toMatch(/^users\s+u1\s+127\.0\.0\.1:9001\s+proxima\s+eu\s+eu-1a\s+-\s+100\s+UP$/m);

    expect(await register.stop()).toMatchObject({ code: 0 });
    expect(register.stdout()).toContain('deregistered users/u1');
    await watch.waitFor(/"type":"delete".*"id":"u1"/);
    const events = watch
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; instance?: { status: string } });
    expect(events.map((e) => (e.type === 'upsert' ? `upsert ${e.instance?.status}` : e.type))).toEqual([
      'reset',
      'upsert UP',
      'upsert DRAINING',
      'delete',
    ]);

    expect((await watch.stop()).code).toBe(0);
    expect((await server.stop()).code).toBe(0);
  });
});
