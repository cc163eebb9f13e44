import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The ACL of a drill's registry server: what the fleet and the attacker hold. */
export interface RegistrySecurity {
  /** `--acl FILE` for the registry server. */
  readonly registryArgs: readonly string[];
  /** Writes the fleet's services (`<service>*`), reads all: the instances' `PROXIMA_TOKEN`. */
  readonly fleetToken: string;
  /** A valid token that may write only the service `flood`: an insider gone rogue. */
  readonly attackerToken: string;
  remove(): Promise<void>;
}

/**
 * Writes an ACL file for a drill (anonymous may read, so the caller needs no token) with fresh
 * random tokens, and returns the flags and tokens.
 */
export async function makeRegistrySecurity(service: string): Promise<RegistrySecurity> {
  const dir = await mkdtemp(join(tmpdir(), 'proxima-chaos-acl-'));
  const file = join(dir, 'acl.json');
  const fleetToken = randomBytes(24).toString('base64url');
  const attackerToken = randomBytes(24).toString('base64url');
  const acl = {
    anonymous: 'read',
    tokens: [
      {
        name: 'fleet',
        token: fleetToken,
        rules: [
          { service: `${service}*`, access: 'write' },
          { service: '*', access: 'read' },
        ],
      },
      { name: 'flooder', token: attackerToken, rules: [{ service: 'flood', access: 'write' }] },
    ],
  };
  await writeFile(file, JSON.stringify(acl), { mode: 0o600 });
  return {
    registryArgs: ['--acl', file],
    fleetToken,
    attackerToken,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
