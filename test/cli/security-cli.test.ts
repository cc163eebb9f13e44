import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessGroup } from '../support/processes.js';
import { freePort } from '../support/ports.js';
import { aclFor, makeTokens, writeAclFile, type Tokens } from '../server/acl-fixture.js';
import { runOnce } from './cli-support.js';

/** `proxima registry` refuses to run open off loopback; every registry client command takes a token. */
const group = new ProcessGroup();
let tokens: Tokens;
let acl: Awaited<ReturnType<typeof writeAclFile>>;
let dir: string;

beforeAll(async () => {
  tokens = makeTokens();
  acl = await writeAclFile(aclFor(tokens));
  dir = await mkdtemp(join(tmpdir(), 'proxima-cli-token-'));
});

afterAll(async () => {
  await group.killAll();
  await acl.remove();
  await rm(dir, { recursive: true, force: true });
});

describe('proxima CLI security', () => {
  it('refuses a non-loopback --host without --acl and TLS, saying exactly what is missing', async () => {
    const open = await runOnce(group, 'open', ['registry', '--host', '0.0.0.0', '--port', '0']);
    expect(open.code).toBe(2);
    expect(open.output).toContain(
      '0.0.0.0 is not loopback: refusing to start without --acl FILE and --tls-cert FILE --tls-key FILE',
    );
    expect(open.output).toContain('--insecure');
    const aclOnly = await runOnce(group, 'acl-only', [
      'registry',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--acl',
      acl.file,
    ]);
    expect(aclOnly.code).toBe(2);
    expect(aclOnly.output).toContain('refusing to start without --tls-cert FILE --tls-key FILE');

    const insecure = group.proxima(
      'insecure',
      ['registry', '--host', '0.0.0.0', '--port', '0', '--insecure'],
      {
        PROXIMA_LOG_LEVEL: 'warn',
      },
    );
    await insecure.waitForLine(/^registry listening on http:\/\/0\.0\.0\.0:\d+/, 30_000);
    await insecure.kill();
  }, 90_000);

  it('ls and register authenticate with --token, --token-file or PROXIMA_TOKEN; SIGHUP reloads the ACL', async () => {
    const port = await freePort();
    const registry = group.proxima('registry', ['registry', '--port', String(port), '--acl', acl.file], {
      PROXIMA_LOG_LEVEL: 'info',
    });
    await registry.waitForLine(/^registry listening on /, 30_000);
    const env = { PROXIMA_REGISTRY: `http://127.0.0.1:${port}` };

    const anonymous = await runOnce(group, 'ls-anonymous', ['ls'], env);
    expect(anonymous.code).toBe(1);
    expect(anonymous.output).toMatch(/UNAUTHENTICATED|bearer token is required/);

    const tokenFile = join(dir, 'alice.token');
    await writeFile(tokenFile, `${tokens.alice}\n`);
    const register = group.proxima(
      'register',
      [
        'register',
        '--service',
        'orders',
        '--id',
        'cli-1',
        '--address',
        '127.0.0.1:9800',
        '--token-file',
        tokenFile,
      ],
      { ...env, PROXIMA_LOG_LEVEL: 'warn' },
    );
    await register.waitForLine(/^registered orders\/cli-1/, 30_000);

    const withFlag = await runOnce(group, 'ls-flag', ['ls', '--json', '--token', tokens.reader], env);
    expect(withFlag.code).toBe(0);
    expect(withFlag.output).toContain('"cli-1"');
    const withEnv = await runOnce(group, 'ls-env', ['ls', 'orders', '--json'], {
      ...env,
      PROXIMA_TOKEN: tokens.ordersReader,
    });
    expect(withEnv.code).toBe(0);
    expect(withEnv.output).toContain('"cli-1"');
    expect(withEnv.output).not.toContain(tokens.ordersReader);

    // Another identity registering the same id is refused: the explain() line, then exit 1.
    const hijack = await runOnce(
      group,
      'register-refused',
      [
        'register',
        '--service',
        'orders',
        '--id',
        'cli-1',
        '--address',
        '127.0.0.1:6666',
        '--token',
        tokens.bob,
      ],
      env,
    );
    expect(hijack.code).toBe(1);
    expect(hijack.output).toMatch(
      /^refused orders\/cli-1: 409 ALREADY_EXISTS since \S+ \(.*\): instance orders\/cli-1 is registered by "alice"; "bob" may not replace it.* → another identity's live lease holds this service\/id.*not retried/m,
    );

    // SIGHUP re-reads the file: a token added to it works without a restart.
    const added = `${tokens.reader}-added`;
    const next = aclFor(tokens);
    await writeFile(
      acl.file,
      JSON.stringify({
        ...next,
        tokens: [...next.tokens, { name: 'added', token: added, rules: [{ service: '*', access: 'read' }] }],
      }),
    );
    registry.signal('SIGHUP');
    await registry.waitForLine('acl reloaded', 30_000);
    const withAdded = await runOnce(group, 'ls-added', ['ls', 'orders', '--json', '--token', added], env);
    expect(withAdded.code).toBe(0);
    await register.kill();
    await registry.kill();
  }, 150_000);
});
