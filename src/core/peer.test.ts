import { describe, expect, it } from 'vitest';
import { isProximaError } from './errors.js';
import { isMissingPackage, loadWithPeer } from './peer.js';

// A package name that no registry holds, so the import below really fails the way a missing
// optional peer does (ERR_MODULE_NOT_FOUND from Node's resolver, not a hand-made error).
const ABSENT = 'proxima-test-absent-peer';

describe('optional peer dependencies', () => {
  it('answers a missing peer with FAILED_PRECONDITION naming the package and the install command', async () => {
    const error: unknown = await loadWithPeer(ABSENT, 'the test feature', () => import(ABSENT)).catch(
      (e: unknown) => e,
    );
    expect(isProximaError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect((error as Error).message).toBe(
      `the test feature needs the package "${ABSENT}", which is not installed: run npm install ${ABSENT}`,
    );
    expect(isMissingPackage((error as Error).cause, ABSENT)).toBe(true);
  });

  it('keeps any other failure as it is (a missing package other than the peer, a throwing module)', async () => {
    const other = await loadWithPeer('etcd3', 'etcd', () => import(ABSENT)).catch((e: unknown) => e);
    expect(isProximaError(other)).toBe(false);
    expect(other).toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
    const boom = new Error('boom');
    await expect(loadWithPeer('etcd3', 'etcd', () => Promise.reject(boom))).rejects.toBe(boom);
  });

  it('loads the module when the peer is there', async () => {
    const zod = await loadWithPeer('zod', 'schemas', () => import('zod'));
    expect(typeof zod.z.object).toBe('function');
  });
});
