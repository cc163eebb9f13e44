import { ProximaError, invalidArgument } from '../../core/errors.js';
import { zodToError } from '../../core/validate.js';
import {
  type MethodSpec,
  type ParsedInputOf,
  type ReturnOf,
  type ServiceDefinition,
  fullMethodName,
} from '../service/define.js';
import type { CallContext, ServerHandler } from './context.js';

/** A handler for one method, typed by its schemas. */
export type MethodHandler<S extends MethodSpec> = (
  request: ParsedInputOf<S>,
  ctx: CallContext,
) => Promise<ReturnOf<S>> | ReturnOf<S>;

/** One handler per method of the definition. */
export type ServiceHandlers<D extends ServiceDefinition> = {
  readonly [K in keyof D['methods']]: MethodHandler<D['methods'][K]>;
};

/** A method ready to serve: validation and handler in one step, plus what interceptors need. */
export interface RegisteredMethod {
  readonly fullName: string;
  readonly service: string;
  readonly methodName: string;
  readonly idempotent: boolean;
  /** Validates input, runs the handler, validates output. */
  readonly invoke: ServerHandler;
}

/** A service implementation to pass to `createServer`. */
export interface ServiceImplementation {
  readonly name: string;
  readonly methods: readonly RegisteredMethod[];
}

export interface ImplementOptions {
  /** Check handler results against the output schema (INTERNAL on mismatch); default true. */
  readonly validateOutput?: boolean;
}

/**
 * Binds handlers to a service definition. Requests are parsed with the input schema before the
 * handler runs (INVALID_ARGUMENT naming the field, e.g. `request.id`); results are parsed with the
 * output schema.
 *
 * @example
 * ```ts
 * const users = implement(UserApi, {
 *   get: async ({ id }, ctx) => db.users.find(id, { signal: ctx.signal }),
 * });
 * createServer({ services: [users] });
 * ```
 */
export function implement<D extends ServiceDefinition>(
  definition: D,
  handlers: ServiceHandlers<D>,
  options: ImplementOptions = {},
): ServiceImplementation {
  const validateOutput = options.validateOutput ?? true;
  const methods: RegisteredMethod[] = [];
  for (const [methodName, spec] of Object.entries(definition.methods)) {
    const handler = (handlers as Record<string, MethodHandler<MethodSpec> | undefined>)[methodName];
    if (typeof handler !== 'function') {
      throw invalidArgument(`handlers.${methodName}`, `missing handler for ${definition.name}.${methodName}`);
    }
    const fullName = fullMethodName(definition.name, methodName);
    const invoke: ServerHandler = async (request, ctx) => {
      const input = spec.input.safeParse(request);
      if (!input.success) throw zodToError(input.error, 'request');
      const result: unknown = await handler(input.data, ctx);
      if (!validateOutput) return result;
      const output = spec.output.safeParse(result);
      if (output.success) return output.data;
      const problem = zodToError(output.error, 'response');
      throw new ProximaError('INTERNAL', `${fullName} returned an invalid response: ${problem.message}`);
    };
    methods.push({ fullName, service: definition.name, methodName, idempotent: spec.idempotent, invoke });
  }
  return { name: definition.name, methods };
}
