/**
 * Call policy building blocks (`@proxima-rpc/proxima/resilience`): fail modes, retries gated by a retry budget,
 * hedging, and deadlines that propagate through async calls. `createClient` runs every call
 * through these; use them directly to put the same policy around another transport.
 */
export { callPolicy } from '../resilience/call-policy.js';
export { executeCall } from '../resilience/execute-call.js';
export {
  FAIL_MODES,
  type Attempt,
  type AttemptContext,
  type BroadcastReply,
  type CallOptions as PolicyCallOptions,
  type CallPolicy,
  type CallPolicyInput,
  type CallResult,
  type FailMode,
  type HedgingOptions,
  type RetryOptions,
} from '../resilience/policy.js';
export { RetryBudget, type RetryBudgetOptions } from '../resilience/retry-budget.js';
export { Deadline } from '../resilience/deadline.js';
export { currentDeadline, currentSignal, withDeadline } from '../resilience/deadline-context.js';
