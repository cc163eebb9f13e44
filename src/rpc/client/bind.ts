import type { CallOptions } from '../../transport/transport.js';
import { zodToError } from '../../core/validate.js';
import {
  type InputOf,
  type MethodSpec,
  type OutputOf,
  type ServiceDefinition,
  fullMethodName,
} from '../service/define.js';

/** What the caller learns about the method it sends (the policy retries non-idempotent calls only when unprocessed). */
export interface MethodInfo {
  readonly service: string;
  readonly method: string;
  readonly idempotent: boolean;
}

/**
 * Anything that can send a call: a {@link Transport}, an intercepted transport, or the full client
 * (which routes by `info.service`). `O` is its options type, passed through typed.
 */
export interface Caller<O extends CallOptions = CallOptions> {
  call(method: string, payload: unknown, options?: O, info?: MethodInfo): Promise<unknown>;
  /**
   * Optional: the function that sends every call of one method, made once by {@link bind} so that
   * what depends only on the method (its route, its policy) is looked up once, not per call. It
   * must behave as `(payload, options) => call(method, payload, options, info)`.
   */
  prepare?(method: string, info: MethodInfo): MethodCall<O>;
}

/** Sends one call of a method {@link Caller.prepare} resolved. */
export type MethodCall<O extends CallOptions = CallOptions> = (
  payload: unknown,
  options?: O,
) => Promise<unknown>;

/** A typed client of one service: one async function per method. */
export type ServiceClient<D extends ServiceDefinition, O extends CallOptions = CallOptions> = {
  readonly [K in keyof D['methods']]: (
    input: InputOf<D['methods'][K]>,
    options?: O,
  ) => Promise<OutputOf<D['methods'][K]>>;
};

export interface BindOptions {
  /** Parse requests with the input schema before sending (INVALID_ARGUMENT); default false: the server validates. */
  readonly validateInput?: boolean;
  /** Parse responses with the output schema; default false: the server validated them. */
  readonly validateOutput?: boolean;
}

/**
 * A fully typed client for `definition` over `caller`.
 *
 * @example
 * ```ts
 * const users = bind(new RpcConnection({ host: '127.0.0.1', port: 7000 }), UserApi);
 * const user = await users.get({ id: '42' }, { deadlineMs: 300 }); // typed from UserApi's schemas
 * ```
 */
export function bind<D extends ServiceDefinition, O extends CallOptions = CallOptions>(
  caller: Caller<O>,
  definition: D,
  options: BindOptions = {},
): ServiceClient<D, O> {
  const client: Record<string, (input: unknown, o?: O) => Promise<unknown>> = {};
  for (const [name, spec] of Object.entries(definition.methods) as Array<[string, MethodSpec]>) {
    const wire = fullMethodName(definition.name, name);
    const info: MethodInfo = { service: definition.name, method: name, idempotent: spec.idempotent };
    const send: MethodCall<O> =
      caller.prepare?.(wire, info) ?? ((input, o) => caller.call(wire, input, o, info));
    const parsed = (input: unknown, o?: O): Promise<unknown> => {
      if (options.validateInput) {
        const result = spec.input.safeParse(input);
        if (!result.success) return Promise.reject(zodToError(result.error, 'request'));
        input = result.data;
      }
      const sent = send(input, o);
      if (!options.validateOutput) return sent;
      return sent.then((value) => {
        const result = spec.output.safeParse(value);
        if (result.success) return result.data;
        throw zodToError(result.error, 'response');
      });
    };
    client[name] = options.validateInput || options.validateOutput ? parsed : send;
  }
  return Object.freeze(client) as ServiceClient<D, O>;
}
