import { Agent, request, type Dispatcher } from 'undici';
import type { Clock } from '../../core/clock.js';
import type { TlsMaterial } from '../../core/tls-files.js';
import { ErrorCode, errorFromJson, isProximaError, ProximaError } from '../../core/errors.js';

/** How one HTTP call to the registry server is made. */
export interface RequestSpec {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal | undefined;
  /** Per-request timeout; `0` for none (streams, which have their own idle timeout). */
  readonly timeoutMs?: number;
}

export interface RegistryClientOptions {
  /** Base URL of the server, `http://host:port`. */
  readonly baseUrl: string;
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** Extra headers on every request (`authorization` carries the bearer token). */
  readonly headers?: Readonly<Record<string, string>>;
  /** For `https://`: the CA to trust, and a client certificate for mTLS. */
  readonly tls?: TlsMaterial;
}

/**
 * The JSON-over-HTTP transport of the http backend: one undici Agent (kept-alive connections,
 * destroyed on close), per-request timeouts on the injected clock, and every failure turned into a
 * ProximaError — server errors rebuilt from their `{code, message, field}` body, network failures
 * as UNAVAILABLE (retryable), caller aborts as CANCELLED.
 */
export class RegistryClient {
  private readonly agent: Agent;
  private readonly closing = new AbortController();

  constructor(private readonly options: RegistryClientOptions) {
    const { tls } = options;
    this.agent = new Agent({
      keepAliveTimeout: 4_000,
      ...(tls === undefined
        ? {}
        : {
            connect: {
              ...(tls.ca === undefined ? {} : { ca: tls.ca }),
              ...(tls.cert === undefined ? {} : { cert: tls.cert }),
              ...(tls.key === undefined ? {} : { key: tls.key }),
            },
          }),
    });
  }

  /** Aborted by {@link close}: ends every stream of this client. */
  get closed(): AbortSignal {
    return this.closing.signal;
  }

  /** Sends a request and returns its JSON body (`undefined` for 204). Rejects with a ProximaError. */
  async json(spec: RequestSpec): Promise<unknown> {
    const response = await this.send(spec);
    try {
      if (response.statusCode === 204) {
        await response.body.dump();
        return undefined;
      }
      const text = await response.body.text();
      if (response.statusCode >= 400) throw this.httpError(response.statusCode, text, spec);
      return text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch (error) {
      throw this.wrap(error, spec);
    }
  }

  /**
   * Opens a streaming GET (SSE). Resolves once a 200 arrives; the caller owns the body and ends it
   * through `signal`. Non-200 answers reject with the server's error.
   */
  async stream(spec: RequestSpec): Promise<Dispatcher.ResponseData> {
    const response = await this.send({ ...spec, timeoutMs: spec.timeoutMs ?? 0 });
    if (response.statusCode === 200) return response;
    const text = await response.body.text().catch(() => '');
    throw this.httpError(response.statusCode, text, spec);
  }

  /** Ends streams and destroys pooled connections. */
  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort(new ProximaError(ErrorCode.CANCELLED, 'registry client closed'));
    await this.agent.destroy().catch(() => undefined);
  }

  private async send(spec: RequestSpec): Promise<Dispatcher.ResponseData> {
    if (this.closing.signal.aborted) throw this.closing.signal.reason;
    if (spec.signal?.aborted === true) {
      throw new ProximaError(ErrorCode.CANCELLED, `${this.describe(spec)}: cancelled`, {
        cause: spec.signal.reason,
      });
    }
    const timeoutMs = spec.timeoutMs ?? this.options.timeoutMs;
    const timeout = new AbortController();
    const timer =
      timeoutMs > 0
        ? this.options.clock.setTimeout(
            () =>
              timeout.abort(
                new ProximaError(
                  ErrorCode.UNAVAILABLE,
                  `${this.describe(spec)}: timed out after ${timeoutMs} ms`,
                ),
              ),
            timeoutMs,
          )
        : undefined;
    timer?.unref?.();
    const signals = [timeout.signal, this.closing.signal, ...(spec.signal ? [spec.signal] : [])];
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.options.headers,
      ...spec.headers,
    };
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const response = await request(new URL(spec.path, this.options.baseUrl), {
        method: spec.method,
        headers,
        body: body ?? null,
        signal: AbortSignal.any(signals),
        dispatcher: this.agent,
      });
      if (timer !== undefined) this.clearOnBodyEnd(response, timer);
      return response;
    } catch (error) {
      if (timer !== undefined) this.options.clock.clearTimeout(timer);
      throw this.wrap(error, spec, signals);
    }
  }

  private clearOnBodyEnd(response: Dispatcher.ResponseData, timer: ReturnType<Clock['setTimeout']>): void {
    const clear = (): void => this.options.clock.clearTimeout(timer);
    response.body.once('close', clear);
    response.body.once('end', clear);
    response.body.once('error', clear);
  }

  private httpError(status: number, text: string, spec: RequestSpec): ProximaError {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (json !== undefined && typeof json === 'object' && json !== null && 'code' in json) {
      return errorFromJson(json, `${this.describe(spec)}: HTTP ${status}`);
    }
    const code = status >= 500 ? ErrorCode.UNAVAILABLE : ErrorCode.UNKNOWN;
    return new ProximaError(code, `${this.describe(spec)}: HTTP ${status} ${text.slice(0, 200)}`);
  }

  /** Turns anything thrown by undici into a ProximaError, preferring the reason of an aborted signal. */
  private wrap(error: unknown, spec: RequestSpec, signals: readonly AbortSignal[] = []): ProximaError {
    if (isProximaError(error)) return error;
    const aborted = signals.find((s) => s.aborted);
    if (aborted !== undefined) {
      const reason: unknown = aborted.reason;
      if (isProximaError(reason)) return reason;
      return new ProximaError(ErrorCode.CANCELLED, `${this.describe(spec)}: cancelled`, { cause: error });
    }
    const code = (error as { code?: unknown }).code;
    const refused = code === 'ECONNREFUSED';
    // An mTLS registry ends the handshake of a client without a certificate it trusts; under TLS 1.3
    // the client sees only a closed socket, so say what is likely missing.
    const hint =
      this.options.baseUrl.startsWith('https:') && this.options.tls?.cert === undefined
        ? '; if the registry requires client certificates (mTLS), set PROXIMA_TLS_CERT and PROXIMA_TLS_KEY'
        : '';
    return new ProximaError(
      ErrorCode.UNAVAILABLE,
      `${this.describe(spec)}: registry unreachable (${error instanceof Error ? error.message : String(error)}${hint})`,
      { cause: error, unprocessed: refused },
    );
  }

  private describe(spec: RequestSpec): string {
    return `${spec.method} ${this.options.baseUrl}${spec.path}`;
  }
}
