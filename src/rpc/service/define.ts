import type { z } from 'zod';
import { invalidArgument } from '../../core/errors.js';

/**
 * One method of a service: zod schemas for what goes in and out, and whether repeating it is
 * harmless. The policy layer reads `idempotent`: a non-idempotent call is retried only when the
 * server never started it.
 */
export interface MethodSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly input: I;
  readonly output: O;
  readonly idempotent: boolean;
}

/** A named set of methods; the definition both sides share, no code generation. */
export interface ServiceDefinition<
  N extends string = string,
  M extends Readonly<Record<string, MethodSpec>> = Readonly<Record<string, MethodSpec>>,
> {
  readonly name: N;
  readonly methods: M;
}

/** The request type a caller passes (before parsing: defaults may be omitted). */
export type InputOf<S extends MethodSpec> = z.input<S['input']>;
/** The request type a handler receives (after parsing). */
export type ParsedInputOf<S extends MethodSpec> = z.output<S['input']>;
/** The response type a handler returns (before parsing). */
export type ReturnOf<S extends MethodSpec> = z.input<S['output']>;
/** The response type a caller receives (after parsing). */
export type OutputOf<S extends MethodSpec> = z.output<S['output']>;

const SERVICE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/;
const METHOD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Declares a method.
 *
 * @example
 * ```ts
 * const get = method({ input: z.object({ id: z.string() }), output: User, idempotent: true });
 * ```
 */
export function method<I extends z.ZodType, O extends z.ZodType>(spec: {
  readonly input: I;
  readonly output: O;
  readonly idempotent?: boolean;
}): MethodSpec<I, O> {
  return { input: spec.input, output: spec.output, idempotent: spec.idempotent ?? false };
}

/**
 * Declares a service. Method `get` of service `users` travels on the wire as `users.get`.
 *
 * @example
 * ```ts
 * export const UserApi = defineService('users', {
 *   get: method({ input: z.object({ id: z.string() }), output: User, idempotent: true }),
 * });
 * ```
 */
export function defineService<N extends string, M extends Readonly<Record<string, MethodSpec>>>(
  name: N,
  methods: M,
): ServiceDefinition<N, M> {
  if (!SERVICE_NAME.test(name))
    throw invalidArgument('service.name', `"${name}" is not a valid service name`);
  for (const m of Object.keys(methods)) {
    if (!METHOD_NAME.test(m)) throw invalidArgument(`service.methods.${m}`, 'not a valid method name');
  }
  return Object.freeze({ name, methods });
}

/** The wire name of a method: `service.method`. */
export function fullMethodName(service: string, methodName: string): string {
  return `${service}.${methodName}`;
}
