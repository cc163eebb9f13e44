import type * as Api from '@opentelemetry/api';
import type { TextMapPropagator, Tracer, TracerProvider } from '@opentelemetry/api';
import { ProximaError } from '../../core/errors.js';

/**
 * How Proxima reaches OpenTelemetry. `@opentelemetry/api` is an optional peer dependency: it is
 * imported (dynamically) only when a client or server is created with OpenTelemetry on or on
 * auto, and a program without it loads nothing.
 */
export interface OpenTelemetryOptions {
  /** Where spans go (default: the global provider the SDK registered). */
  readonly tracerProvider?: TracerProvider;
  /** How context crosses the wire (default: the global propagator; W3C trace context with the SDK's defaults). */
  readonly propagator?: TextMapPropagator;
}

/**
 * The `openTelemetry` option of clients and servers: `true` (the global provider and propagator;
 * fails when `@opentelemetry/api` is missing), options, `false` (off), or undefined: on when
 * `@opentelemetry/api` is installed and an SDK registered a global tracer provider before the
 * client or server was created, off otherwise (then Proxima's own W3C propagation, `traceClient`
 * and `traceServer`, still works without any dependency).
 */
export type OpenTelemetrySetting = boolean | OpenTelemetryOptions | undefined;

/** What Proxima's spans are made with, resolved once per client or server. */
export interface Otel {
  readonly api: typeof Api;
  readonly tracer: Tracer;
  readonly propagator: TextMapPropagator;
}

export const TRACER_NAME = 'proxima';

let loading: Promise<typeof Api | undefined> | undefined;

/** `@opentelemetry/api`, or undefined when it is not installed (imported once per process). */
export function importOpenTelemetryApi(): Promise<typeof Api | undefined> {
  // The API is CommonJS: Node's ESM loader exposes its named exports (the functions and classes used here).
  loading ??= import('@opentelemetry/api').then(
    (m): typeof Api => m,
    () => undefined,
  );
  return loading;
}

/**
 * Resolves the `openTelemetry` setting: the tracer and propagator to use, or undefined when
 * tracing through OpenTelemetry is off. `field` names the option in the error thrown when it was
 * asked for and `@opentelemetry/api` is missing.
 */
export async function resolveOpenTelemetry(
  setting: OpenTelemetrySetting,
  field: string,
): Promise<Otel | undefined> {
  if (setting === false) return undefined;
  const api = await importOpenTelemetryApi();
  if (api === undefined) {
    if (setting === undefined) return undefined;
    throw new ProximaError(
      'FAILED_PRECONDITION',
      `${field}: OpenTelemetry was asked for but @opentelemetry/api is not installed (npm install @opentelemetry/api)`,
      { field },
    );
  }
  const options = typeof setting === 'object' ? setting : {};
  const provider = options.tracerProvider ?? api.trace.getTracerProvider();
  // Auto: only when an SDK registered a provider; the API's no-op one would cost per call for nothing.
  if (setting === undefined && provider instanceof api.ProxyTracerProvider) {
    if (provider.getDelegateTracer(TRACER_NAME) === undefined) return undefined;
  }
  return {
    api,
    tracer: provider.getTracer(TRACER_NAME),
    propagator: options.propagator ?? api.propagation,
  };
}
