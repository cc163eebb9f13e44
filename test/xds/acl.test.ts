/**
 * The registry's ACL read rules on its xDS port, played with a raw grpc-js ADS stream: the bearer
 * token in the call metadata names the identity, and a stream is served only what it may read.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../../src/cli/testing/run-cli.js';
import { MemoryRegistry } from '../../src/backends/memory/memory-registry.js';
import type { AclInput } from '../../src/server/security/acl.js';
import { type RegistryServer, startRegistryServer } from '../../src/server/server.js';
import { TYPE_URL } from '../../src/xds/type-urls.js';
import { eventually } from '../support/processes.js';
import { decodeResource, RawAdsClient } from './raw-ads-client.js';

const node = { id: 'n', locality: { region: 'r1', zone: 'a' } };
const readerToken = randomBytes(24).toString('base64url');
const xdsToken = randomBytes(24).toString('base64url');
const acl = (anonymous: 'none' | 'read'): AclInput => ({
  anonymous,
  tokens: [
    { name: 'reader', token: readerToken, rules: [{ service: 'alpha', access: 'read' }] },
    { name: 'standalone-xds', token: xdsToken, rules: [{ service: '*', access: 'read' }] },
  ],
});

let dir: string;
let file: string;
let server: RegistryServer;
const clients: RawAdsClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'proxima-xds-acl-'));
  file = join(dir, 'acl.json');
  await writeFile(file, JSON.stringify(acl('none')));
  server = await startRegistryServer({
    port: 0,
    acl: file,
    xds: { port: 0 },
    logger: pino({ level: 'silent' }),
  });
  const view = new MemoryRegistry({}, server.state.store);
  for (const [service, port] of [
    ['alpha', 1001],
    ['beta', 1002],
  ] as const)
    await view.register(
      {
        service,
        id: `${service}-1`,
        address: `127.0.0.1:${port}`,
        protocol: 'grpc',
        locality: node.locality,
      },
      { ttlMs: 600_000 },
    );
});
afterAll(async () => {
  for (const c of clients) c.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function stream(authorization?: string, address = server.xds!.address): RawAdsClient {
  const metadata = new Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  const c = new RawAdsClient(address, { metadata, ack: true });
  clients.push(c);
  return c;
}

/** Subscribes to alpha and beta of every type and returns the names served (`count` of them), per type. */
async function served(c: RawAdsClient, count: number): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const type_url of [TYPE_URL.listener, TYPE_URL.cluster, TYPE_URL.endpoints]) {
    c.send({ node, type_url, resource_names: ['alpha', 'beta'] });
    const answer = await eventually(() =>
      c.responses.find((r) => r.type_url === type_url && r.resources.length >= count),
    );
    result[type_url] = answer!.resources.map((r) => {
      const decoded = decodeResource(r) as { name?: string; cluster_name?: string };
      return decoded.name ?? decoded.cluster_name ?? '?';
    });
  }
  return result;
}

describe('xDS port with an ACL', () => {
  it('refuses a stream without a token or with an unknown one', async () => {
    expect((await stream().ended).code).toBe(status.UNAUTHENTICATED);
    expect((await stream(`Bearer ${randomBytes(24).toString('base64url')}`).ended).code).toBe(
      status.UNAUTHENTICATED,
    );
    expect((await stream('Basic abc').ended).code).toBe(status.UNAUTHENTICATED);
    expect(server.xds!.stats.streamsUnauthorized).toBe(3);
  });

  it('serves a token only the services it may read', async () => {
    const reader = stream(`Bearer ${readerToken}`);
    expect(await served(reader, 1)).toEqual({
      [TYPE_URL.listener]: ['alpha'],
      [TYPE_URL.cluster]: ['alpha'],
      [TYPE_URL.endpoints]: ['alpha'],
    });
    // beta is not served at all: no response to this stream ever carried it.
    const names = reader.responses.flatMap((r) => r.resources.map((x) => JSON.stringify(decodeResource(x))));
    expect(names.some((n) => n.includes('beta'))).toBe(false);
  });

  it('applies an ACL on the standalone `proxima xds --acl`, which reads the registry with its own token', async () => {
    const cli = startCli(['xds', '--registry', server.url, '--port', '0', '--acl', file], {
      PROXIMA_TOKEN: xdsToken,
    });
    try {
      const address = (await cli.waitFor(/xds listening on \S+/)).slice('xds listening on '.length);
      expect((await stream(undefined, address).ended).code).toBe(status.UNAUTHENTICATED);
      expect((await served(stream(`Bearer ${readerToken}`, address), 1))[TYPE_URL.endpoints]).toEqual([
        'alpha',
      ]);
    } finally {
      expect((await cli.stop()).code).toBe(0);
    }
  });

  it('lets token-less streams read after a reload allows anonymous reads', async () => {
    await writeFile(file, JSON.stringify(acl('read')));
    server.reloadAcl();
    expect(await served(stream(), 2)).toEqual({
      [TYPE_URL.listener]: ['alpha', 'beta'],
      [TYPE_URL.cluster]: ['alpha', 'beta'],
      [TYPE_URL.endpoints]: ['alpha', 'beta'],
    });
  });
});
