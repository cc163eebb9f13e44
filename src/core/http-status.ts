import type { ErrorCode } from './errors.js';

/**
 * The HTTP status the registry server answers for each error code (and so the status a client of it
 * saw): one table, read by the server when it replies and by whoever explains a refusal to people
 * (`409 ALREADY_EXISTS`, `403 PERMISSION_DENIED`).
 */
const STATUS_BY_CODE: Readonly<Partial<Record<ErrorCode, number>>> = {
  INVALID_ARGUMENT: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  LEASE_LOST: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 412,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/** The HTTP status of an error code, or undefined for codes the server answers with 500. */
export function httpStatusOf(code: ErrorCode): number | undefined {
  return STATUS_BY_CODE[code];
}
