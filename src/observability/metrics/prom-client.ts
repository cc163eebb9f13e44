import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import { isMissingPackage, missingPeer } from '../../core/peer.js';

const requireFromHere = createRequire(import.meta.url);

/**
 * prom-client (an optional peer dependency, CommonJS), loaded synchronously the first time a
 * feature that needs it runs — so importing the package root never loads it. Missing, the error is
 * a FAILED_PRECONDITION naming the package and `feature`.
 */
export function requirePromClient(feature: string): typeof PromClient {
  try {
    return requireFromHere('prom-client') as typeof PromClient;
  } catch (error) {
    if (isMissingPackage(error, 'prom-client')) throw missingPeer('prom-client', feature, error);
    throw error;
  }
}
