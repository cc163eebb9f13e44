import type { Registry } from 'prom-client';
import { invalidArgument } from '../core/errors.js';
import { type OpenTelemetrySetting, type Otel, resolveOpenTelemetry } from '../observability/otel/load.js';
import { openTelemetryServer } from '../observability/otel/server.js';
import type { ServerHandler, ServerInterceptor } from '../rpc/server/context.js';
import { collectProcessMetrics } from '../observability/metrics/process-metrics.js';
import { requirePromClient } from '../observability/metrics/prom-client.js';
import { serverMetrics } from '../observability/metrics/rpc-metrics.js';
import { type MetricsEndpoint, serveMetrics } from '../observability/metrics/serve.js';
import {
  createServer as createRpcServer,
  type ListenAddress,
  type RegistrarHook,
  type RpcServer,
  type ServerOptions,
} from '../rpc/server/server.js';
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
  /**
   * Server metrics (`serverMetrics`: calls, durations, in flight, bound once per method) into
   * `registry` (default: a new one with the process metrics too), served on `GET /metrics` at
   * `host:port` while the server listens when `port` is set (see `serveMetrics`).
   */
  readonly metrics?: ServerMetricsOptions;
  /**
   * OpenTelemetry SERVER spans for every call, children of the caller's propagated context, active
   * while the handler runs (see `openTelemetryServer`). Default: on when `@opentelemetry/api` is
   * installed and an SDK registered a global tracer provider; resolved before the instance
   * registers (`listen()` fails when `true` was asked for and the API is missing).
   */
  readonly openTelemetry?: OpenTelemetrySetting;
}

/** The `metrics` option of {@link createServer}. */
export interface ServerMetricsOptions {
  /** Where the metrics go (default: a new registry, with prom-client's process metrics). */
  readonly registry?: Registry;
  /** Serve the exposition on this port while the server listens (0: any free port). */
  readonly port?: number;
  /** Interface of the metrics endpoint (default `127.0.0.1`). */
  readonly host?: string;
  /** Metric name prefix (default `proxima_`). */
  readonly prefix?: string;
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
  const {
    register,
    propagateContext = true,
    tls: tlsOption,
    env = process.env,
    metrics,
    openTelemetry,
    ...rest
  } = options;
  if (register !== undefined && rest.registrar !== undefined) {
    throw invalidArgument('server.register', 'give either register or registrar, not both');
  }
  const clock = rest.clock === undefined ? {} : { clock: rest.clock };
  let interceptors = rest.interceptors ?? [];
  const tls = resolveTls(tlsOption, serverTlsFromEnv, env);
  const registrar = register === undefined ? rest.registrar : registerOnListen({ ...clock, ...register });
  let observers = rest.observers ?? [];
  let hook = registrar;
  if (openTelemetry !== false) {
    const tracing = lazyTracing(openTelemetry);
    interceptors = [tracing.interceptor, ...interceptors];
    hook = afterReady(hook, tracing.ready);
  }
  if (metrics !== undefined) {
    const registry = metrics.registry ?? processRegistry();
    const prefix = metrics.prefix === undefined ? {} : { prefix: metrics.prefix };
    observers = [...observers, serverMetrics(registry, prefix)];
    if (metrics.port !== undefined) {
      // Checked now, so a bad port fails createServer rather than listen().
      const serve = { port: metrics.port, ...(metrics.host === undefined ? {} : { host: metrics.host }) };
      hook = withMetricsEndpoint(hook, registry, serve);
    }
  }
  return createRpcServer({
    ...rest,
    ...(tls === undefined ? {} : { tls: checkServerTls(tls) }),
    observers,
    interceptors: propagateContext ? [propagateCallContext(clock), ...interceptors] : interceptors,
    ...(hook === undefined ? {} : { registrar: hook }),
  });
}

/**
 * The OpenTelemetry server interceptor, resolved in the background (`@opentelemetry/api` is
 * imported dynamically, and `createServer` is synchronous); calls pass through untraced until it
 * is, and with OpenTelemetry off they always do, at the cost of one property read.
 */
function lazyTracing(setting: OpenTelemetrySetting): {
  interceptor: ServerInterceptor;
  ready: Promise<void>;
} {
  let otel: Otel | undefined;
  const ready = resolveOpenTelemetry(setting, 'server.openTelemetry').then((resolved) => {
    otel = resolved;
  });
  // Not a listen() failure yet: `afterReady` surfaces it there.
  ready.catch(() => undefined);
  const interceptor: ServerInterceptor = (next) => {
    let traced: ServerHandler | undefined;
    return (request, ctx) => {
      if (otel === undefined) return next(request, ctx);
      traced ??= openTelemetryServer(otel)(next);
      return traced(request, ctx);
    };
  };
  return { interceptor, ready };
}

/** `hook`, whose `register` (in `listen()`) first waits for `ready`. */
function afterReady(hook: RegistrarHook | undefined, ready: Promise<void>): RegistrarHook {
  return {
    register: async (address: ListenAddress) => {
      await ready;
      return hook?.register?.(address);
    },
    drain: () => hook?.drain(),
    deregister: () => hook?.deregister?.(),
  };
}

function processRegistry(): Registry {
  const registry = new (requirePromClient('createServer({ metrics })').Registry)();
  collectProcessMetrics(registry);
  return registry;
}

/**
 * `registrar`, plus a metrics endpoint that starts before the instance registers (so it can be
 * scraped as soon as it is found) and stops after it deregistered.
 */
function withMetricsEndpoint(
  registrar: RegistrarHook | undefined,
  registry: Registry,
  options: { port: number; host?: string },
): RegistrarHook {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw invalidArgument('server.metrics.port', `expected a port 0..65535, got ${options.port}`);
  }
  let endpoint: MetricsEndpoint | undefined;
  return {
    register: async (address: ListenAddress) => {
      endpoint = await serveMetrics(registry, options);
      return registrar?.register?.(address);
    },
    drain: () => registrar?.drain(),
    deregister: async () => {
      try {
        await registrar?.deregister?.();
      } finally {
        await endpoint?.close();
      }
    },
  };
}
