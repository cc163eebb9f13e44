import type { OpenTelemetrySetting } from '../observability/otel/load.js';
import { lazySchema } from '../core/zod.js';
import { probeOptionsSchema } from '../probe/options.js';
import type { BalancerSpecInput } from '../balancer/factory.js';
import type { Clock } from '../core/clock.js';
import { serviceNameSchema } from '../core/instance.js';
import type { LocalityInput } from '../core/locality.js';
import type { Logger } from '../core/logger.js';
import type { Random } from '../core/random.js';
import type { Picker } from '../balancer/picker.js';
import { invalidArgument } from '../core/errors.js';
import { parseWith } from '../core/validate.js';
import { callPolicy } from '../resilience/call-policy.js';
import { RetryBudget } from '../resilience/retry-budget.js';
import { routerOptionsSchema } from '../routing/options.js';
import type { SelfPreservationOptions } from '../discovery/self-preservation.js';
import type { Registry } from '../registry/registry.js';
import type { HedgingOptions, RetryOptions } from '../resilience/policy.js';
import type { Deadline } from '../resilience/deadline.js';
import type { RetryBudgetOptions } from '../resilience/retry-budget.js';
import type { RouterOptionsInput } from '../routing/options.js';
import type { ClientInterceptor } from '../rpc/client/interceptor.js';
import type { KeepAliveOptions } from '../rpc/connection/keepalive.js';
import {
  type ClientLimitsInput,
  resolveClientLimits,
  validateKeepAlive,
} from '../rpc/connection/client-limits.js';
import type { Codec } from '../rpc/wire/codec.js';
import { type ClientTlsOptions, checkClientTls } from '../rpc/tls/options.js';
import type { TopologyOptions } from '../topology/options.js';
import type { CallOptions } from '../transport/transport.js';
import type { ClientObserver } from './observer.js';

/**
 * The fail modes a client call may use: the ones that answer with the method's own result type.
 * `broadcast` has its own method ({@link Client.broadcast}); `failsafe`/`failback`, which answer
 * `undefined` on failure, are a per-call decision the typed methods cannot express.
 */
export const CLIENT_FAIL_MODES = ['failover', 'failfast', 'failretry', 'forking'] as const;
export type ClientFailMode = (typeof CLIENT_FAIL_MODES)[number];

/** Settings of the per-endpoint RPC connections. */
export interface ConnectionOptions {
  /** Payload codec of requests (default msgpack). */
  readonly codec?: Codec;
  readonly connectTimeoutMs?: number;
  /** PING/PONG keep-alive (default every 15 s); its RTTs feed routing. `false` turns it off. */
  readonly keepAlive?: KeepAliveOptions | false;
  /** Flush as soon as this many frames are buffered (default 16). */
  readonly maxFramesPerFlush?: number;
  readonly maxFrameSize?: number;
  /** Reconnect backoff after a failed connect (full jitter). */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /**
   * How long a connection to an endpoint that left the registry may keep finishing its calls
   * before it is closed (default 10 s; it closes at once when idle).
   */
  readonly retireGraceMs?: number;
  /**
   * Toward a server that does not read: outbound high-water mark (default 8 MiB, new calls go
   * elsewhere), hard cap (64 MiB) and drain grace (30 s) before the connection fails.
   */
  readonly limits?: ClientLimitsInput;
}

/** Background RTT probing of the nearest tier (TCP connect time). */
export interface ProbeOptions {
  /** Mean time between rounds (default 5 s, jittered ±20%). */
  readonly intervalMs?: number;
  /** Endpoints outside the preferred tier measured per round (default 3). */
  readonly othersPerRound?: number;
  readonly timeoutMs?: number;
}

/**
 * Options of {@link createClient}. Only `registry` is required; every other default works on one
 * machine and follows DESIGN.md (peak-EWMA P2C, failover with 3 attempts, A6 retry budget).
 */
export interface ClientOptions {
  /** A registry URL (`memory:`, `http://host:port`, `etcd://h1,h2`) or an open {@link Registry}. */
  readonly registry: string | Registry;
  /**
   * Where this caller runs. Fields left out come from `PROXIMA_REGION/ZONE/SUBZONE`, else
   * `CLIENT_REGION/ZONE/SUBZONE`.
   */
  readonly locality?: LocalityInput;
  /** Environment read for the locality (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Where region and zone come from when neither `locality` nor `PROXIMA_*` variables name them:
   * Kubernetes labels, AWS / GCP / Azure metadata (docs/topology.md).
   */
  readonly topology?: TopologyOptions;
  /** The balancer inside each locality tier (default peak-EWMA P2C). */
  readonly balancer?: BalancerSpecInput;
  /** Router tunables: health (outlier ejection, breakers), over-provisioning, zone-aware, spill. */
  readonly routing?: Omit<RouterOptionsInput, 'service' | 'locality' | 'balancer'>;
  /**
   * The service this caller itself belongs to, if any. Its instances' spread over the zones of
   * this region drives zone-aware residual routing (Envoy's math): a zone with more callers than
   * upstreams sends its surplus to zones with spare upstreams. Without it, each zone routes locally.
   */
  readonly callerService?: string;
  /** Default `failover`. */
  readonly failMode?: ClientFailMode;
  /** Attempts and backoff of `failover` / `failretry`. */
  readonly retry?: RetryOptions;
  /** Hedged requests (idempotent methods under `failover` only; others ignore it). */
  readonly hedging?: HedgingOptions;
  /** `forking`: instances called at once (default 2). */
  readonly forks?: number;
  /** The A6 retry budget, one per service (default 10 tokens, −1/failure, +0.1/success, retry while > 5). */
  readonly budget?: RetryBudgetOptions;
  /** Default time budget of a call, ms (default: none beyond an inherited deadline). */
  readonly timeoutMs?: number;
  /** Run around every attempt, outermost first (auth tokens, tracing, metrics). */
  readonly interceptors?: readonly ClientInterceptor[];
  /** See calls, attempts (with their endpoint) and routers: metrics (`clientMetrics`), tracing, logs. */
  readonly observers?: readonly ClientObserver[];
  /**
   * OpenTelemetry spans for every call and attempt, in the application's tracer (see
   * docs/observability.md). Default: on when `@opentelemetry/api` is installed and an SDK
   * registered a global tracer provider before `createClient`; `true` or
   * `{ tracerProvider, propagator }` to ask for it, `false` to keep it off.
   */
  readonly openTelemetry?: OpenTelemetrySetting;
  readonly connection?: ConnectionOptions;
  /**
   * TLS to instances whose registration says they serve it (metadata `proxima.tls`). Default:
   * from `PROXIMA_TLS_CA` (+ `PROXIMA_TLS_CERT` / `PROXIMA_TLS_KEY` for mutual TLS) when set,
   * following each registration both ways; `false` turns TLS off whatever the environment says.
   * Calling a TLS instance without TLS settings, or a plaintext one with `tls` given in code
   * (unless `allowPlaintext`), fails FAILED_PRECONDITION naming the instance and the setting.
   */
  readonly tls?: ClientTlsOptions | false;
  /** RTT probing of the preferred tier; `false` disables it (PING RTTs still count). */
  readonly probe?: ProbeOptions | false;
  /** Discovery's refusal of mass disappearances (default threshold 0.5, grace 30 s); `false` disables. */
  readonly selfPreservation?: SelfPreservationOptions | false;
  readonly clock?: Clock;
  readonly random?: Random;
  /** Silent by default. */
  readonly logger?: Logger;
}

/** Per-call options: the transport's (deadline, metadata, signal) plus routing hints. */
export interface ClientCallOptions extends CallOptions {
  /** Absolute deadline; combined with `deadlineMs`, the client timeout and an inherited one (earliest wins). */
  readonly deadline?: Deadline | undefined;
  /** Consistent-hash key (read by the consistent-hash balancer). */
  readonly hashKey?: string | undefined;
  /**
   * Whether the method may run twice; decides retries of calls the server may have started. Typed
   * clients from `bind` know it from the definition; for `call(...)` by name it defaults to false.
   */
  readonly idempotent?: boolean | undefined;
}

const fn = lazySchema((z) =>
  z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function'),
);
const object = lazySchema((z) =>
  z.custom<object>((v) => typeof v === 'object' && v !== null, 'expected an object'),
);
const ms = lazySchema((z) => z.number().finite().nonnegative());

// Shapes only: nested option objects are validated by the component that owns them (router,
// policy, budget, discoverer), which names the field in its own error.
const clientOptionsSchema = lazySchema((z) =>
  z
    .object({
      registry: z.union([z.string().min(1), object()]),
      locality: object().optional(),
      env: object().optional(),
      topology: object().optional(),
      balancer: object().optional(),
      routing: object().optional(),
      callerService: serviceNameSchema().optional(),
      failMode: z.enum(CLIENT_FAIL_MODES).optional(),
      retry: object().optional(),
      hedging: object().optional(),
      forks: z.number().int().min(1).max(64).optional(),
      budget: object().optional(),
      timeoutMs: ms().optional(),
      interceptors: z.array(fn()).optional(),
      observers: z.array(object()).optional(),
      openTelemetry: z.union([z.boolean(), object()]).optional(),
      connection: z
        .object({
          codec: object().optional(),
          connectTimeoutMs: ms().optional(),
          keepAlive: z.union([z.literal(false), object()]).optional(),
          maxFramesPerFlush: z.number().int().min(1).optional(),
          maxFrameSize: z.number().int().min(1024).optional(),
          backoff: object().optional(),
          retireGraceMs: ms().optional(),
          limits: object().optional(),
        })
        .strict()
        .optional(),
      probe: probeOptionsSchema().optional(),
      tls: z.union([z.literal(false), object()]).optional(),
      selfPreservation: z.union([z.literal(false), object()]).optional(),
      clock: object().optional(),
      random: fn().optional(),
      logger: object().optional(),
    })
    .strict(),
);

const NEVER_PICKS: Picker = { pick: () => ({ kind: 'wait' }) };

/**
 * Validates every option up front, nested ones by the components that own them, so a mistake
 * surfaces at `createClient` rather than at the first call of some service. Throws
 * INVALID_ARGUMENT naming the field (`client.failMode`, `client.routing.panicThreshold`, …).
 */
export function checkClientOptions(options: ClientOptions): void {
  parseWith(clientOptionsSchema(), options, 'client');
  if (options.tls !== undefined && options.tls !== false) checkClientTls(options.tls, 'client.tls');
  parseWith(
    routerOptionsSchema(),
    {
      ...options.routing,
      service: 'validation',
      ...(options.balancer === undefined ? {} : { balancer: options.balancer }),
    },
    'client.routing',
  );
  resolveClientLimits(options.connection?.limits, 'client.connection.limits');
  validateKeepAlive(options.connection?.keepAlive, 'client.connection.keepAlive');
  if (options.hedging !== undefined && (options.failMode ?? 'failover') !== 'failover') {
    throw invalidArgument('client.hedging', `only with failMode "failover", not "${options.failMode}"`);
  }
  callPolicy(
    {
      getPicker: () => NEVER_PICKS,
      failMode: options.failMode ?? 'failover',
      idempotent: true,
      budget: new RetryBudget(options.budget),
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(options.hedging === undefined ? {} : { hedging: options.hedging }),
      ...(options.forks === undefined ? {} : { forks: options.forks }),
    },
    'client',
  );
}
