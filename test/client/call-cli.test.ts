import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createServer } from '../../src/client/index.js';
import { ProximaError } from '../../src/core/errors.js';
import { runCli } from '../../src/cli/testing/run-cli.js';
import { defineService, implement, method, type RpcServer } from '../../src/rpc/index.js';
import { startServerProcess, type ServerProcess } from '../server/server-process.js';
import { ProcessGroup } from '../support/processes.js';

const CalcApi = defineService('calc', {
  add: method({
    input: z.object({ a: z.number(), b: z.number() }),
    output: z.object({ sum: z.number() }),
    idempotent: true,
  }),
  fail: method({ input: z.object({}), output: z.object({}) }),
});

const group = new ProcessGroup();
let registry: ServerProcess;
let server: RpcServer;

beforeAll(async () => {
  registry = await startServerProcess(group, { name: 'registry' });
  server = createServer({
    services: [
      implement(CalcApi, {
        add: ({ a, b }) => ({ sum: a + b }),
        fail: () => {
          throw new ProximaError('NOT_FOUND', 'nothing here');
        },
      }),
    ],
    register: { registry: registry.url, instance: { service: 'calc' }, env: {} },
  });
  await server.listen({ host: '127.0.0.1' });
});
afterAll(async () => {
  await server.shutdown({ graceMs: 0 });
  await group.killAll();
});

const call = (...args: string[]) => runCli(['call', ...args, '--registry', registry.url]);

describe('proxima call', () => {
  it('prints the answer as JSON', async () => {
    const run = await call('calc', 'add', '{"a":2,"b":40}', '--timeout', '2s');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ sum: 42 });
  });

  it('prints code and message of a failed call and exits 1', async () => {
    const notFound = await call('calc', 'fail', '{}');
    expect(notFound).toMatchObject({ code: 1, stdout: '' });
    expect(notFound.stderr).toMatch(/^NOT_FOUND: nothing here/);
    // A request the server rejects is a failed call, not a usage error.
    const invalid = await call('calc', 'add', '{"a":"two"}');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^INVALID_ARGUMENT: request\.a/);
    const missing = await call('nobody', 'add', '{}', '--timeout', '500ms');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^NO_ENDPOINTS: /);
  });

  it('exits 2 on bad flags, bad JSON and a missing method', async () => {
    for (const args of [
      ['calc', 'add', '{"a":', '--timeout', '1s'],
      ['calc', 'add', '{}', '--timeout', 'soon'],
      ['calc'],
      ['calc', 'add', '{}', '--bogus'],
    ]) {
      const run = await call(...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^proxima call: /);
    }
  });
});
