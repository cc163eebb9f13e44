import type { z } from 'zod';
import { lazySchema } from '../core/zod.js';
import { addressSchema } from '../core/instance.js';
import { localitySchema } from '../core/locality.js';
import { parseWith } from '../core/validate.js';

const bootstrapInputSchema = lazySchema((z) =>
  z
    .object({
      nodeId: z.string().min(1, 'must not be empty').max(256, 'at most 256 characters'),
      server: addressSchema().default('127.0.0.1:18000'),
      region: localitySchema().shape.region,
      zone: localitySchema().shape.zone,
      subzone: localitySchema().shape.subzone,
      /**
       * Channel credentials to the xDS server: `insecure`, or `tls` (gRFC A65: grpc-go and
       * grpc-java; grpc-js-xds 1.14 only knows `insecure` and `google_default`).
       */
      tls: z
        .object({
          caFile: z.string().min(1),
          certFile: z.string().min(1).optional(),
          keyFile: z.string().min(1).optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
);

export type BootstrapInput = z.input<ReturnType<typeof bootstrapInputSchema>>;

/** The bootstrap of a gRPC xDS client, as `GRPC_XDS_BOOTSTRAP` (a file) or `GRPC_XDS_BOOTSTRAP_CONFIG` reads it. */
export interface XdsBootstrap {
  readonly xds_servers: readonly {
    readonly server_uri: string;
    readonly channel_creds: readonly { readonly type: string; readonly config?: Record<string, string> }[];
    readonly server_features: readonly string[];
  }[];
  readonly node: {
    readonly id: string;
    readonly locality: { readonly region: string; readonly zone: string; readonly sub_zone?: string };
  };
}

/**
 * The bootstrap JSON that points a gRPC client at a Proxima xDS server and tells it where the
 * client runs (its locality picks its priorities). Throws INVALID_ARGUMENT naming the field.
 *
 * @example
 * ```ts
 * process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify(
 *   xdsBootstrap({ nodeId: 'web-1', region: 'eu', zone: 'eu-a', server: '127.0.0.1:18000' }),
 * );
 * ```
 */
export function xdsBootstrap(input: BootstrapInput): XdsBootstrap {
  const checked = parseWith(bootstrapInputSchema(), input, 'bootstrap');
  const creds =
    checked.tls === undefined
      ? { type: 'insecure' }
      : {
          type: 'tls',
          config: {
            ca_certificate_file: checked.tls.caFile,
            ...(checked.tls.certFile === undefined ? {} : { certificate_file: checked.tls.certFile }),
            ...(checked.tls.keyFile === undefined ? {} : { private_key_file: checked.tls.keyFile }),
          },
        };
  return {
    xds_servers: [{ server_uri: checked.server, channel_creds: [creds], server_features: ['xds_v3'] }],
    node: {
      id: checked.nodeId,
      locality: {
        region: checked.region,
        zone: checked.zone,
        ...(checked.subzone === '' ? {} : { sub_zone: checked.subzone }),
      },
    },
  };
}
