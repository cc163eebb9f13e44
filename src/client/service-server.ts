import { invalidArgument } from '../core/errors.js';
import { createServer as createRpcServer, type RpcServer, type ServerOptions } from '../rpc/server/server.js';
import { propagateCallContext } from './call-context.js';
import { registerOnListen, type ServerRegistrationOptions } from './registration.js';
import { type ServerTlsOptions, checkServerTls, resolveTls, serverTlsFromEnv } from '../rpc/tls/options.js';

/** Options of Proxima's {@link createServer}: the RPC server's, plus registration and context. */
export interface ProximaServerOptions extends Omit<ServerOptions, 'tls'> {
  /**
   * Serve TLS (see the RPC server's `tls`). Default: from `PROXIMA_TLS_CERT` + `PROXIMA_TLS_KEY`
   * (and `PROXIMA_TLS_CA`, which makes client certificates required) when they are set; `false`
   * serves plaintext whatever the environment says. The registration says which (metadata
   * `proxima.tls`), and clients follow it.
   */
  readonly tls?: ServerTlsOptions | false;
  /** Where `PROXIMA_TLS_*` are read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Register in a registry once listening, DRAINING on shutdown, deregister at the end (see
   * {@link registerOnListen}). Mutually exclusive with a hand-made `registrar` hook.
   */
  readonly register?: ServerRegistrationOptions;
  /**
   * Let calls made by handlers inherit the served call's deadline and cancellation (default true;
   * see {@link propagateCallContext}).
   */
  readonly propagateContext?: boolean;
}

/**
 * A Proxima RPC server wired for a fleet: handlers' nested calls inherit the caller's deadline,
 * `listen()` resolves once the instance is registered, and `shutdown()` (or SIGTERM through
 * `shutdownOnSignals`) drains it: DRAINING in the registry → stop accepting → GOAWAY → in-flight
 * calls finish → deregister.
 *
 * @example
 * ```ts
 * const server = createServer({
 *   services: [implement(UserApi, handlers)],
 *   register: { registry: 'http://127.0.0.1:7070', instance: { service: 'users' } },
 * });
 * await server.listen({ port: 7000 });
 * shutdownOnSignals(server, { graceMs: 10_000, onDone: () => process.exit(0) });
 * ```
 */
export function createServer(options: ProximaServerOptions): RpcServer {
  const { register, propagateContext = true, tls: tlsOption, env = process.env, ...rest } = options;
  if (register !== undefined && rest.registrar !== undefined) {
    throw invalidArgument('server.register', 'give either register or registrar, not both');
  }
  const clock = rest.clock === undefined ? {} : { clock: rest.clock };
  const interceptors = rest.interceptors ?? [];
  const tls = resolveTls(tlsOption, serverTlsFromEnv, env);
  return createRpcServer({
    ...rest,
    ...(tls === undefined ? {} : { tls: checkServerTls(tls) }),
    interceptors: propagateContext ? [propagateCallContext(clock), ...interceptors] : interceptors,
    ...(register === undefined ? {} : { registrar: registerOnListen({ ...clock, ...register }) }),
  });
}
