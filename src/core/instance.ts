import type { z } from 'zod';
import { localitySchema } from './locality.js';
import { parseWith } from './validate.js';
import { lazySchema } from './zod.js';

/** Service names: DNS-label-like, so they fit URLs (`proxima:///users`), etcd keys and metric labels. */
export const serviceNameSchema = lazySchema((z) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(128, 'at most 128 characters')
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      'letters, digits, ".", "_" or "-", starting with a letter or digit',
    ),
);

export const instanceIdSchema = lazySchema((z) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(256, 'at most 256 characters')
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, 'letters, digits, ".", "_", ":", "@" or "-"'),
);

/** `host:port` with an IPv4 address, a hostname, or a bracketed IPv6 address; port 1-65535. */
export const addressSchema = lazySchema((z) =>
  z
    .string()
    .max(300, 'at most 300 characters')
    .refine(
      (value) => splitAddress(value) !== undefined,
      'expected host:port (IPv6 as [::1]:port), port 1-65535',
    ),
);

export const PROTOCOLS = ['proxima', 'grpc', 'http', 'tcp'] as const;
export const protocolSchema = lazySchema((z) => z.enum(PROTOCOLS));
export type Protocol = (typeof PROTOCOLS)[number];

export const STATUSES = ['UP', 'DRAINING', 'DOWN'] as const;
export const statusSchema = lazySchema((z) => z.enum(STATUSES));
/** UP takes traffic; DRAINING finishes what it has and takes no new calls; DOWN takes nothing. */
export type InstanceStatus = (typeof STATUSES)[number];

const MAX_METADATA_ENTRIES = 64;

/**
 * The metadata key by which an instance says it serves TLS (`"true"`); absent or `"false"` means
 * plaintext. Proxima's servers set it when they listen with `tls`; clients follow it, so they never
 * speak plaintext to a TLS server or TLS to a plaintext one.
 */
export const TLS_METADATA_KEY = 'proxima.tls';

export const metadataSchema = lazySchema((z) =>
  z
    .record(z.string().min(1).max(128), z.string().max(1024, 'at most 1024 characters'))
    .refine((m) => Object.keys(m).length <= MAX_METADATA_ENTRIES, `at most ${MAX_METADATA_ENTRIES} entries`)
    .refine(
      (m) =>
        m[TLS_METADATA_KEY] === undefined ||
        m[TLS_METADATA_KEY] === 'true' ||
        m[TLS_METADATA_KEY] === 'false',
      {
        message: `${TLS_METADATA_KEY} must be "true" or "false"`,
        path: [TLS_METADATA_KEY],
      },
    ),
);

/** Whether an instance's registration says it serves TLS (see {@link TLS_METADATA_KEY}). */
export function servesTls(instance: { readonly metadata: Readonly<Record<string, string>> }): boolean {
  return instance.metadata[TLS_METADATA_KEY] === 'true';
}

/** Weight 0 keeps an instance registered but out of weighted picks; the default is 100. */
export const weightSchema = lazySchema((z) => z.number().int('must be an integer').min(0).max(10_000));

export const instanceSchema = lazySchema((z) =>
  z
    .object({
      service: serviceNameSchema(),
      id: instanceIdSchema(),
      address: addressSchema(),
      protocol: protocolSchema().default('proxima'),
      locality: localitySchema().default({ region: '', zone: '', subzone: '' }),
      weight: weightSchema().default(100),
      metadata: metadataSchema().default({}),
      status: statusSchema().default('UP'),
    })
    .strict(),
);

/** One running copy of a service, as the registry stores it. */
export type Instance = z.output<ReturnType<typeof instanceSchema>>;
/** What a caller may pass: defaults filled in by {@link parseInstance}. */
export type InstanceInput = z.input<ReturnType<typeof instanceSchema>>;

/** The fields of a registered instance that may change without re-registering. */
export const instancePatchSchema = lazySchema((z) =>
  z
    .object({
      status: statusSchema().optional(),
      weight: weightSchema().optional(),
      metadata: metadataSchema().optional(),
    })
    .strict(),
);
export type InstancePatch = z.output<ReturnType<typeof instancePatchSchema>>;

/** Validates and fills defaults; throws INVALID_ARGUMENT naming the field (`instance.address: …`). */
export function parseInstance(input: unknown, root = 'instance'): Instance {
  return parseWith(instanceSchema(), input, root);
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Splits `host:port` / `[v6]:port`; undefined when malformed. The host comes back without brackets. */
export function splitAddress(address: string): HostPort | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(address);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65_535) return undefined;
  const host = match[1] ?? match[2];
  if (host === undefined || host === '') return undefined;
  return { host, port };
}

/** Joins host and port, bracketing IPv6. */
export function joinAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
