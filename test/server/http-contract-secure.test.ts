import { readFile } from 'node:fs/promises';
import { afterAll } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import type { TlsMaterial } from '../../src/core/tls-files.js';
import { registryContract } from '../../src/registry/registry.contract.js';
import { makeTestCertificates, type TestCertificates } from '../support/certs.js';
import { ProcessGroup } from '../support/processes.js';
import { aclFor, makeTokens, writeAclFile } from './acl-fixture.js';
import { startServerProcess } from './server-process.js';

const group = new ProcessGroup();
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  await group.killAll();
  for (const cleanup of cleanups) await cleanup();
});

/**
 * The whole registry contract against the secure configuration: ACL on (a token that may write
 * every service, but is not an admin), HTTPS with client certificates required (mTLS). What
 * works open on loopback works the same locked down.
 */
registryContract(
  'http (real server process, ACL + mTLS)',
  async () => {
    const tokens = makeTokens();
    const acl = aclFor(tokens);
    const writer = `${tokens.alice}-writer`;
    const file = await writeAclFile({
      ...acl,
      tokens: [...acl.tokens, { name: 'writer', token: writer, rules: [{ service: '*', access: 'write' }] }],
    });
    const certs: TestCertificates = await makeTestCertificates();
    cleanups.push(
      () => file.remove(),
      () => certs.remove(),
    );
    const server = await startServerProcess(group, {
      args: [
        '--admin',
        '--acl',
        file.file,
        '--tls-cert',
        certs.serverCert,
        '--tls-key',
        certs.serverKey,
        '--tls-ca',
        certs.ca,
      ],
    });
    const url = `https://127.0.0.1:${server.port}`;
    const tls: TlsMaterial = {
      ca: await readFile(certs.ca),
      cert: await readFile(certs.clientCert),
      key: await readFile(certs.clientKey),
    };
    const open = (): HttpRegistry => new HttpRegistry({ url, token: writer, tls, env: {} });
    const registry = open();
    return {
      registry,
      connect: async () => open(),
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      compact: async () => {
        // The admin route needs an admin token; the http backend has no compact call, so go raw.
        const { request, Agent } = await import('undici');
        const dispatcher = new Agent({ connect: { ca: tls.ca, cert: tls.cert, key: tls.key } });
        const response = await request(`${url}/v1/admin/compact`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens.admin}` },
          dispatcher,
        });
        await response.body.dump();
        await dispatcher.close();
        if (response.statusCode !== 204) throw new Error(`compact: HTTP ${response.statusCode}`);
      },
      close: async () => {
        await registry.close();
        await server.process.stop();
      },
    };
  },
  { ttlMs: 3000, expirySlackMs: 1000 },
);
