/**
 * The policy layer: how one logical call becomes attempts on endpoints — deadlines and their
 * propagation, fail modes, retries with full-jitter backoff under an A6 retry budget, and hedged
 * requests. Per-endpoint health (breakers, outlier ejection) lives with the balancers; this layer
 * only reports each attempt's outcome to the endpoint's tracker, exactly once.
 *
 * How the client uses it, once per method and then per call:
 * ```ts
 * const budgets = new RetryBudgets();                        // one per client
 * const policy = callPolicy({                                // once per method
 *   getPicker: () => router.picker(service),
 *   onPickerChange: router.onPickerChange(service),
 *   idempotent: method.idempotent,
 *   budget: budgets.for(service),
 *   timeoutMs: 1000,
 * });
 * const reply = await executeCall(policy, (endpoint, { signal, deadline, attempt }) =>
 *   transport.call(endpoint, method.name, request, { signal, deadline }), { signal: callerSignal });
 * ```
 * The RPC server runs each handler inside `withCallContext({ deadline, signal }, handler)`, so a
 * handler's own calls inherit what is left of its deadline and are cancelled with it.
 *
 * Contract for attempts (transports): put `deadline` in the request and fail with
 * DEADLINE_EXCEEDED when it passes; end soon after `signal` aborts; mark errors `unprocessed` when
 * the server never started the request (refused, GOAWAY, write never happened), so that even
 * non-idempotent calls fail over safely.
 */
export * from './backoff.js';
export * from './retry-budget.js';
export * from './deadline.js';
export * from './deadline-context.js';
export * from './latency-estimator.js';
export * from './logger.js';
export * from './policy.js';
export * from './call-policy.js';
export * from './outcome.js';
export * from './failback-queue.js';
export * from './execute-call.js';
export * from './operation-policy.js';
