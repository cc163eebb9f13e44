import { AsyncLocalStorage } from 'node:async_hooks';
import type { TraceContext } from '../observability/tracing/trace-context.js';
import type { Clock } from '../core/clock.js';
import { Deadline } from './deadline.js';

/**
 * What a nested call inherits from the call being served: its deadline, its cancellation and its
 * trace context (the span nested calls become children of; see `src/observability/tracing`).
 */
export interface CallContext {
  readonly deadline?: Deadline | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly trace?: TraceContext | undefined;
}

// The one piece of module state in the policy layer, on purpose: the server that runs a handler and
// the client the handler calls from must meet in the same storage, whoever constructed them. It
// holds nothing itself; every value lives in the async context that `run` creates.
const storage = new AsyncLocalStorage<CallContext>();

/** Deadline and signal of the call this code runs inside (one lookup for both, for the client). */
export function currentCallContext(): CallContext | undefined {
  return storage.getStore();
}

/**
 * The deadline of the call this code runs inside (set by the RPC server around a handler, or by
 * {@link withDeadline}), or undefined outside any call. The client uses it so a handler that calls
 * another service passes on the time it has left.
 */
export function currentDeadline(): Deadline | undefined {
  return storage.getStore()?.deadline;
}

/** The cancellation signal of the call this code runs inside, if any. */
export function currentSignal(): AbortSignal | undefined {
  return storage.getStore()?.signal;
}

/**
 * Runs `fn` with `deadline` as the current deadline for every call made inside it, sync or async.
 * A deadline can only shrink: inside a call with less time left, the inherited one stays.
 *
 * @example
 * ```ts
 * await withDeadline(Deadline.after(systemClock, 200), () => users.get({ id }));
 * ```
 */
export function withDeadline<R>(deadline: Deadline | undefined, fn: () => R): R {
  const outer = storage.getStore();
  const effective = deadline === undefined ? outer?.deadline : deadline.earliest(outer?.deadline);
  return storage.run({ deadline: effective, signal: outer?.signal, trace: outer?.trace }, fn);
}

/**
 * Runs `fn` as the body of a served call: the RPC server calls this around a handler with the
 * deadline from the request header and the call's cancel signal, which nested calls then inherit.
 * The deadline is combined with an enclosing one as in {@link withDeadline}; a context without a
 * `trace` keeps the enclosing one (tracing sets it with its own `withCallContext({ trace })`).
 */
export function withCallContext<R>(context: CallContext, fn: () => R): R {
  const outer = storage.getStore();
  const deadline =
    context.deadline === undefined ? outer?.deadline : context.deadline.earliest(outer?.deadline);
  const inner = context.signal;
  const signal =
    inner === undefined || outer?.signal === undefined || outer.signal === inner
      ? (inner ?? outer?.signal)
      : AbortSignal.any([inner, outer.signal]);
  return storage.run({ deadline, signal, trace: context.trace ?? outer?.trace }, fn);
}

/** What {@link withServedCall} reads from the call being served, when a nested call asks. */
export interface ServedCall {
  /** Ms left before the served call's deadline, or undefined without one. */
  remainingMs(): number | undefined;
  /** Aborts when the served call is cancelled or given up on. */
  readonly signal: AbortSignal;
}

/**
 * Runs `fn` as the body of the call `served`, whose deadline and signal nested calls inherit: what
 * a server interceptor puts around a handler. Both are read from `served` when something first
 * asks for them (a nested call, {@link currentDeadline}, {@link currentSignal}), not per served
 * call: reading a served call's `signal` creates an AbortController and a deadline timer, and its
 * deadline costs clock reads — microseconds that a handler making no nested call should not pay.
 * The deadline is the same either way (`now + remaining` is the same instant whenever it is
 * read). Inside an enclosing context it combines with it at once, as {@link withCallContext} does.
 */
export function withServedCall<R>(served: ServedCall, clock: Clock, fn: () => R): R {
  if (storage.getStore() !== undefined) {
    const remaining = served.remainingMs();
    const deadline = remaining === undefined ? undefined : Deadline.after(clock, remaining);
    return withCallContext({ deadline, signal: served.signal }, fn);
  }
  return storage.run(new ServedContext(served, clock), fn);
}

/** A served call's context, looked up on first use. */
class ServedContext implements CallContext {
  readonly trace = undefined;
  private cachedDeadline: Deadline | undefined | null = null;

  constructor(
    private readonly served: ServedCall,
    private readonly clock: Clock,
  ) {}

  get deadline(): Deadline | undefined {
    if (this.cachedDeadline === null) {
      const remaining = this.served.remainingMs();
      this.cachedDeadline = remaining === undefined ? undefined : Deadline.after(this.clock, remaining);
    }
    return this.cachedDeadline;
  }

  get signal(): AbortSignal {
    return this.served.signal;
  }
}
