import { invalidArgument } from '../../core/errors.js';
import type { RegistryFactory } from '../../registry/factory.js';
import { HttpRegistry } from './http-registry.js';

/**
 * The `http:` / `https:` row of the scheme table: `http://host:port` opens a client of the
 * registry server. A path, query or credentials in the URL are refused rather than ignored.
 */
export const openHttpRegistry: RegistryFactory = async (url, options) => {
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.username !== '') {
    throw invalidArgument(
      'registry',
      `expected http://host:port without path, query or credentials: ${url.href}`,
    );
  }
  return new HttpRegistry({
    url: url.origin,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
};
