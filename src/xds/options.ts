import type { z } from 'zod';
import { lazySchema } from '../core/zod.js';
import { parseWith } from '../core/validate.js';

/** Defaults of the xDS server's bounds. */
export const XDS_DEFAULTS = {
  host: '127.0.0.1',
  port: 18_000,
  maxClients: 1_000,
  maxResourceNames: 1_000,
  maxServices: 10_000,
  maxQueuedResponses: 16,
  maxRequestBytes: 1024 * 1024,
} as const;

/** gRPC status names an inline route may retry on (gRPC's xDS retry support, gRFC A44). */
export const RETRY_ON = [
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

export const xdsLimitsSchema = lazySchema((z) =>
  z
    .object({
      host: z.string().min(1).default(XDS_DEFAULTS.host),
      port: z.number().int().min(0).max(65_535).default(XDS_DEFAULTS.port),
      maxClients: z.number().int().min(1).default(XDS_DEFAULTS.maxClients),
      maxResourceNames: z.number().int().min(1).default(XDS_DEFAULTS.maxResourceNames),
      maxServices: z.number().int().min(1).default(XDS_DEFAULTS.maxServices),
      maxQueuedResponses: z.number().int().min(1).default(XDS_DEFAULTS.maxQueuedResponses),
      maxRequestBytes: z.number().int().min(1024).default(XDS_DEFAULTS.maxRequestBytes),
      retryOn: z.array(z.enum(RETRY_ON)).default([]),
      numRetries: z.number().int().min(1).max(5).default(2),
    })
    .strict(),
);

export type XdsLimitsInput = z.input<ReturnType<typeof xdsLimitsSchema>>;
export type XdsLimits = z.output<ReturnType<typeof xdsLimitsSchema>>;

/** Validates the plain options, naming the field (`xds.maxClients`) in INVALID_ARGUMENT. */
export function checkXdsLimits(input: XdsLimitsInput, root = 'xds'): XdsLimits {
  return parseWith(xdsLimitsSchema(), input, root);
}
