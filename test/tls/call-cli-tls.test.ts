import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCli } from '../../src/cli/testing/run-cli.js';
import { createServer } from '../../src/client/index.js';
import { defineService, implement, method, type RpcServer } from '../../src/rpc/index.js';
import { startServerProcess, type ServerProcess } from '../server/server-process.js';
import { type TestCertificates, makeTestCertificates } from '../support/certs.js';
import { ProcessGroup } from '../support/processes.js';

const CalcApi = defineService('calc', {
  add: method({
    input: z.object({ a: z.number(), b: z.number() }),
    output: z.object({ sum: z.number() }),
    idempotent: true,
  }),
});

const group = new ProcessGroup();
let registry: ServerProcess;
let server: RpcServer;
let certs: TestCertificates;

beforeAll(async () => {
  certs = await makeTestCertificates();
  registry = await startServerProcess(group, { name: 'registry' });
  server = createServer({
    services: [implement(CalcApi, { add: ({ a, b }) => ({ sum: a + b }) })],
    tls: { cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) },
    register: { registry: registry.url, instance: { service: 'calc' }, env: {} },
  });
  await server.listen({ host: '127.0.0.1' });
}, 60_000);
afterAll(async () => {
  await server?.shutdown({ graceMs: 0 });
  await group.killAll();
  await certs?.remove();
});

const call = (env: Record<string, string>) =>
  runCli(['call', 'calc', 'add', '{"a":2,"b":40}', '--timeout', '3s', '--registry', registry.url], env);

describe('proxima call to a TLS instance (registry server process, TLS RPC server)', () => {
  it('calls it with PROXIMA_TLS_CA, and says what is missing without it', async () => {
    const ok = await call({ PROXIMA_TLS_CA: certs.ca });
    expect(ok.stderr).toBe('');
    expect(JSON.parse(ok.stdout)).toEqual({ sum: 42 });

    const refused = await call({});
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^FAILED_PRECONDITION: instance .* of calc .* serves TLS/);
    expect(refused.stderr).toContain('PROXIMA_TLS_CA');
  });
});
