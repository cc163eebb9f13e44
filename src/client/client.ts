import { preloadZod } from '../core/zod.js';
import type { ClientOptions } from './options.js';
import type { Client } from './proxima-client.js';

export type { Client } from './proxima-client.js';

/**
 * Creates a {@link Client}. Opens the registry when given a URL (and closes it on `close()`).
 * Rejects with INVALID_ARGUMENT naming the bad option (`client.failMode: …`).
 *
 * The client's machinery (discovery, routing, policy, connections, zod for the option checks)
 * loads here, on the first call, not when the package is imported: an application pays for it
 * when it creates a client, and a process that only serves pays nothing.
 */
export async function createClient(options: ClientOptions): Promise<Client> {
  const [{ openClient }] = await Promise.all([import('./proxima-client.js'), preloadZod()]);
  return openClient(options);
}
