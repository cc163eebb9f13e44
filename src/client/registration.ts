import { type Clock, sleep, systemClock } from '../core/clock.js';
import { TLS_METADATA_KEY } from '../core/instance.js';
import { openRegistry } from '../backends/open.js';
import type { Registry } from '../registry/registry.js';
import { startRegistrar, type Registrar } from '../registrar/registrar.js';
import type { RegistrarInstanceInput, RegistrarOptions } from '../registrar/options.js';
import type { ListenAddress, RegistrarHook } from '../rpc/server/server.js';

/** How a server registers itself once it listens. */
export interface ServerRegistrationOptions extends Omit<
  RegistrarOptions,
  'registry' | 'instance' | 'instances' | 'awaitRegistration'
> {
  /** A registry URL or an open registry (a URL is opened at listen and closed at deregister). */
  readonly registry: string | Registry;
  /**
   * The instance; its port is the one the server bound. Without `host`/`address`, the bound host is
   * advertised unless it is a wildcard (`0.0.0.0`, `::`), in which case the registrar detects it.
   */
  readonly instance: Omit<RegistrarInstanceInput, 'port'>;
  /**
   * On shutdown, how long to wait after marking the instance DRAINING before the server stops
   * accepting and sends GOAWAY, so callers see DRAINING and stop picking it first (default 0:
   * callers still lose nothing, calls refused by GOAWAY are retried as unprocessed).
   */
  readonly announceDrainMs?: number;
}

/** A {@link RegistrarHook} that owns a registrar; `registrar` is there once listening. */
export interface ServerRegistration extends RegistrarHook {
  readonly registrar: Registrar | undefined;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/**
 * Registers a server through a registrar after its listener is up, marks it DRAINING first thing
 * on shutdown, and deregisters it (revoking the lease) once its calls are done. Pass it as
 * `createServer({ registrar: registerOnListen({...}) })`; Proxima's `createServer` does that for
 * its `register` option.
 *
 * @example
 * ```ts
 * const server = createRpcServer({
 *   services,
 *   registrar: registerOnListen({ registry: 'http://127.0.0.1:7070', instance: { service: 'users' } }),
 * });
 * await server.listen({ host: '0.0.0.0', port: 7000 }); // resolves once registered
 * ```
 */
export function registerOnListen(options: ServerRegistrationOptions): ServerRegistration {
  const { registry: target, instance, announceDrainMs = 0, ...registrarOptions } = options;
  const clock: Clock = options.clock ?? systemClock;
  let registry: Registry | undefined;
  let registrar: Registrar | undefined;
  return {
    get registrar() {
      return registrar;
    },
    async register(address: ListenAddress): Promise<void> {
      registry = typeof target === 'string' ? await openRegistry(target, { clock }) : target;
      const explicit = instance.address !== undefined || instance.host !== undefined;
      const host = explicit || WILDCARDS.has(address.host) ? {} : { host: address.host };
      // The registration says whether the server speaks TLS: clients follow it.
      const tls = address.tls === true ? 'true' : undefined;
      const metadata =
        tls === undefined ? instance.metadata : { ...instance.metadata, [TLS_METADATA_KEY]: tls };
      registrar = await startRegistrar({
        ...registrarOptions,
        registry,
        instance: {
          ...instance,
          ...host,
          ...(instance.address === undefined ? { port: address.port } : {}),
          ...(metadata === undefined ? {} : { metadata }),
        },
      });
    },
    async drain(): Promise<void> {
      if (registrar === undefined) return;
      await registrar.update({ status: 'DRAINING' });
      if (announceDrainMs > 0) await sleep(clock, announceDrainMs);
    },
    async deregister(): Promise<void> {
      try {
        await registrar?.drain();
      } finally {
        if (typeof target === 'string') await registry?.close();
      }
    },
  };
}
