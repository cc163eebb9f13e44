import { status } from '@grpc/grpc-js';
import type { OutcomeKind } from '../balancer/picker.js';

/**
 * How a gRPC status counts for the endpoint's health, following Envoy's gRPC-to-HTTP mapping for
 * outlier detection: the codes an overloaded or broken server produces (UNAVAILABLE, INTERNAL,
 * UNKNOWN, DATA_LOSS) are strikes; DEADLINE_EXCEEDED is a timeout; CANCELLED is the caller giving
 * up; every other code is an answer from a healthy server.
 */
export function outcomeOfStatus(code: status): OutcomeKind {
  switch (code) {
    case status.OK:
      return 'success';
    case status.CANCELLED:
      return 'cancelled';
    case status.DEADLINE_EXCEEDED:
      return 'timeout';
    case status.UNAVAILABLE:
    case status.INTERNAL:
    case status.UNKNOWN:
    case status.DATA_LOSS:
      return 'failure';
    default:
      return 'app-error';
  }
}
