import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AclInput } from '../../src/server/index.js';

/** Fresh random tokens for the identities the security tests play. */
export interface Tokens {
  readonly alice: string;
  readonly bob: string;
  readonly reader: string;
  readonly ordersReader: string;
  readonly flood: string;
  readonly flooder: string;
  readonly chatty: string;
  readonly admin: string;
}

export function makeTokens(): Tokens {
  const t = (): string => randomBytes(24).toString('base64url');
  return {
    alice: t(),
    bob: t(),
    reader: t(),
    ordersReader: t(),
    flood: t(),
    flooder: t(),
    chatty: t(),
    admin: t(),
  };
}

/**
 * alice and bob may both write `orders` (so only ownership keeps them apart); `reader` reads all,
 * `ordersReader` only `orders`; `flooder` may hold 20 leases; `chatty` may send 5 requests/s.
 */
export function aclFor(tokens: Tokens): AclInput {
  return {
    anonymous: 'none',
    tokens: [
      { name: 'alice', token: tokens.alice, rules: [{ service: 'orders', access: 'write' }] },
      { name: 'bob', token: tokens.bob, rules: [{ service: 'orders', access: 'write' }] },
      { name: 'reader', token: tokens.reader, rules: [{ service: '*', access: 'read' }] },
      { name: 'orders-reader', token: tokens.ordersReader, rules: [{ service: 'orders', access: 'read' }] },
      {
        name: 'flood',
        token: tokens.flood,
        rules: [{ service: 'flood*', access: 'write' }],
      },
      {
        name: 'flooder',
        token: tokens.flooder,
        rules: [{ service: 'flood*', access: 'write' }],
        limits: { leases: 20 },
      },
      {
        name: 'chatty',
        token: tokens.chatty,
        rules: [{ service: '*', access: 'read' }],
        limits: { requestsPerSecond: 1, requestBurst: 5 },
      },
      { name: 'admin', token: tokens.admin, admin: true },
    ],
  };
}

/** Writes an ACL to a temporary file; `remove()` deletes it. */
export async function writeAclFile(acl: AclInput): Promise<{ file: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'proxima-acl-'));
  const file = join(dir, 'acl.json');
  await writeFile(file, JSON.stringify(acl, null, 2));
  return { file, remove: () => rm(dir, { recursive: true, force: true }) };
}
