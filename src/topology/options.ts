import { lazySchema } from '../core/zod.js';
import { parseDuration } from '../core/duration.js';
import { invalidArgument } from '../core/errors.js';
import { parseWith } from '../core/validate.js';
import type { Env } from './env.js';
import { TOPOLOGY_SOURCES, type TopologySourceName } from './topology.js';

/** Kubernetes: pod labels from a Downward API volume, node labels from the API server. */
export interface KubernetesSourceOptions {
  /** API server base URL. Default `PROXIMA_KUBERNETES_API_URL`, else `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`. */
  readonly apiUrl?: string;
  /** Holds `token` and `ca.crt`. Default `PROXIMA_KUBERNETES_SERVICE_ACCOUNT_DIR`, else `/var/run/secrets/kubernetes.io/serviceaccount`. */
  readonly serviceAccountDir?: string;
  /** The node this pod runs on (`spec.nodeName`). Default `PROXIMA_NODE_NAME`. */
  readonly nodeName?: string;
  /** A Downward API `metadata.labels` file. Default `PROXIMA_POD_LABELS_FILE`. */
  readonly podLabelsFile?: string;
  readonly timeoutMs?: number;
}

/** AWS EC2 instance metadata, IMDSv2 only. */
export interface AwsSourceOptions {
  /** Default `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else `http://169.254.169.254`. */
  readonly endpoint?: string;
  /**
   * The zone to register: the account's AZ name (`us-east-1a`, the default, as Kubernetes node
   * labels use) or the AZ id (`use1-az1`, the same physical zone in every account).
   */
  readonly zone?: 'name' | 'id';
  readonly timeoutMs?: number;
}

/** Google Compute Engine metadata. */
export interface GcpSourceOptions {
  /** `host[:port]`, as `GCE_METADATA_HOST` (the default), else `169.254.169.254`. */
  readonly host?: string;
  readonly timeoutMs?: number;
}

/** Azure Instance Metadata Service. */
export interface AzureSourceOptions {
  /** Default `PROXIMA_AZURE_METADATA_URL`, else `http://169.254.169.254`. */
  readonly url?: string;
  /** Default `2021-02-01`. */
  readonly apiVersion?: string;
  readonly timeoutMs?: number;
}

/**
 * Where a process looks up its region and zone beyond explicit options (see docs/topology.md).
 * Without `sources` (or `PROXIMA_TOPOLOGY_SOURCES`), `env` is always read and a network source is
 * asked only when something enables it: its options here, or its variable
 * (`PROXIMA_NODE_NAME` / `PROXIMA_POD_LABELS_FILE`, `AWS_EC2_METADATA_SERVICE_ENDPOINT`,
 * `GCE_METADATA_HOST`, `PROXIMA_AZURE_METADATA_URL`). A process never probes link-local metadata
 * addresses by surprise; list the source to ask it at its default address.
 */
export interface TopologyOptions {
  /** Sources in order; each listed source is asked. Default from `PROXIMA_TOPOLOGY_SOURCES`. */
  readonly sources?: readonly TopologySourceName[];
  /** Budget of the whole lookup, ms (default `PROXIMA_TOPOLOGY_TIMEOUT`, else 500); each source's `timeoutMs` defaults to it. */
  readonly timeoutMs?: number;
  /** Reuse this process's earlier answer of the same network sources (default true). */
  readonly cache?: boolean;
  readonly kubernetes?: KubernetesSourceOptions;
  readonly aws?: AwsSourceOptions;
  readonly gcp?: GcpSourceOptions;
  readonly azure?: AzureSourceOptions;
}

export const DEFAULT_TOPOLOGY_TIMEOUT_MS = 500;
export const DEFAULT_SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
export const LINK_LOCAL_METADATA = 'http://169.254.169.254';
export const DEFAULT_AZURE_API_VERSION = '2021-02-01';

const timeoutMs = lazySchema((z) => z.number().int('must be an integer').min(1).max(60_000).optional());
const httpUrl = lazySchema((z) =>
  z.string().refine((s) => /^https?:\/\/[^/]+/.test(s) && URL.canParse(s), 'expected an http(s):// URL'),
);
const optionsSchema = lazySchema((z) =>
  z
    .object({
      sources: z.array(z.enum(TOPOLOGY_SOURCES)).optional(),
      timeoutMs: timeoutMs(),
      cache: z.boolean().optional(),
      kubernetes: z
        .object({
          apiUrl: httpUrl().optional(),
          serviceAccountDir: z.string().min(1).optional(),
          nodeName: z.string().min(1).max(253).optional(),
          podLabelsFile: z.string().min(1).optional(),
          timeoutMs: timeoutMs(),
        })
        .strict()
        .optional(),
      aws: z
        .object({
          endpoint: httpUrl().optional(),
          zone: z.enum(['name', 'id']).optional(),
          timeoutMs: timeoutMs(),
        })
        .strict()
        .optional(),
      gcp: z
        .object({
          host: z
            .string()
            .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/, 'expected host[:port]')
            .optional(),
          timeoutMs: timeoutMs(),
        })
        .strict()
        .optional(),
      azure: z
        .object({
          url: httpUrl().optional(),
          apiVersion: z
            .string()
            .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')
            .optional(),
          timeoutMs: timeoutMs(),
        })
        .strict()
        .optional(),
    })
    .strict(),
);

/** One source, resolved: whether to ask it, and where. */
export type ResolvedSource =
  | { readonly name: 'env' }
  | {
      readonly name: 'kubernetes';
      readonly enabled: string | true;
      readonly apiUrl: string | undefined;
      readonly serviceAccountDir: string;
      readonly nodeName: string | undefined;
      readonly podLabelsFile: string | undefined;
      readonly timeoutMs: number;
    }
  | {
      readonly name: 'aws';
      readonly enabled: string | true;
      readonly endpoint: string;
      readonly zone: 'name' | 'id';
      readonly timeoutMs: number;
    }
  | {
      readonly name: 'gcp';
      readonly enabled: string | true;
      readonly host: string;
      readonly timeoutMs: number;
    }
  | {
      readonly name: 'azure';
      readonly enabled: string | true;
      readonly url: string;
      readonly apiVersion: string;
      readonly timeoutMs: number;
    };

/** The lookup as configured: sources in order and the whole budget. */
export interface ResolvedTopologyConfig {
  readonly sources: readonly ResolvedSource[];
  readonly timeoutMs: number;
  readonly cache: boolean;
}

const NOT_ENABLED = 'not enabled (list it in PROXIMA_TOPOLOGY_SOURCES or set';

/**
 * Validates `options` (INVALID_ARGUMENT naming `topology.…`) and the variables it falls back to
 * (naming the variable), and resolves every source's settings. `enabled` is `true` or why not.
 */
export function resolveTopologyConfig(
  options: TopologyOptions | undefined,
  env: Env,
): ResolvedTopologyConfig {
  const o = parseWith(optionsSchema(), options ?? {}, 'topology');
  const fromEnv = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const listed = o.sources ?? sourcesFromEnv(fromEnv('PROXIMA_TOPOLOGY_SOURCES'));
  const order = listed ?? TOPOLOGY_SOURCES;
  const enabled = (hint: boolean, variables: string): string | true =>
    listed !== undefined || hint ? true : `${NOT_ENABLED} ${variables})`;
  const envTimeout = fromEnv('PROXIMA_TOPOLOGY_TIMEOUT');
  const budget =
    o.timeoutMs ??
    (envTimeout === undefined
      ? DEFAULT_TOPOLOGY_TIMEOUT_MS
      : positive(envTimeout, 'PROXIMA_TOPOLOGY_TIMEOUT'));
  const sources = order.map((name): ResolvedSource => {
    switch (name) {
      case 'env':
        return { name };
      case 'kubernetes': {
        const k = o.kubernetes ?? {};
        const nodeName = k.nodeName ?? fromEnv('PROXIMA_NODE_NAME');
        const podLabelsFile = k.podLabelsFile ?? fromEnv('PROXIMA_POD_LABELS_FILE');
        const host = fromEnv('KUBERNETES_SERVICE_HOST');
        const inCluster =
          host === undefined
            ? undefined
            : `https://${host.includes(':') ? `[${host}]` : host}:${fromEnv('KUBERNETES_SERVICE_PORT') ?? '443'}`;
        const apiUrl =
          k.apiUrl ??
          checkedUrl(fromEnv('PROXIMA_KUBERNETES_API_URL'), 'PROXIMA_KUBERNETES_API_URL') ??
          inCluster;
        return {
          name,
          enabled: enabled(
            o.kubernetes !== undefined || nodeName !== undefined || podLabelsFile !== undefined,
            'PROXIMA_NODE_NAME or PROXIMA_POD_LABELS_FILE',
          ),
          apiUrl,
          serviceAccountDir:
            k.serviceAccountDir ??
            fromEnv('PROXIMA_KUBERNETES_SERVICE_ACCOUNT_DIR') ??
            DEFAULT_SERVICE_ACCOUNT_DIR,
          nodeName,
          podLabelsFile,
          timeoutMs: k.timeoutMs ?? budget,
        };
      }
      case 'aws': {
        const endpoint =
          o.aws?.endpoint ??
          checkedUrl(fromEnv('AWS_EC2_METADATA_SERVICE_ENDPOINT'), 'AWS_EC2_METADATA_SERVICE_ENDPOINT');
        // As the AWS SDKs: AWS_EC2_METADATA_DISABLED=true turns IMDS off whatever else is set.
        const disabled = fromEnv('AWS_EC2_METADATA_DISABLED')?.toLowerCase() === 'true';
        return {
          name,
          enabled: disabled
            ? 'disabled by AWS_EC2_METADATA_DISABLED=true'
            : enabled(o.aws !== undefined || endpoint !== undefined, 'AWS_EC2_METADATA_SERVICE_ENDPOINT'),
          endpoint: trimSlash(endpoint ?? LINK_LOCAL_METADATA),
          zone: o.aws?.zone ?? 'name',
          timeoutMs: o.aws?.timeoutMs ?? budget,
        };
      }
      case 'gcp': {
        const host = o.gcp?.host ?? fromEnv('GCE_METADATA_HOST');
        if (host !== undefined && o.gcp?.host === undefined && !/^[A-Za-z0-9.[\]:-]+$/.test(host))
          throw invalidArgument('GCE_METADATA_HOST', `expected host[:port], got "${host}"`);
        return {
          name,
          enabled: enabled(o.gcp !== undefined || host !== undefined, 'GCE_METADATA_HOST'),
          host: host ?? '169.254.169.254',
          timeoutMs: o.gcp?.timeoutMs ?? budget,
        };
      }
      case 'azure': {
        const url =
          o.azure?.url ?? checkedUrl(fromEnv('PROXIMA_AZURE_METADATA_URL'), 'PROXIMA_AZURE_METADATA_URL');
        return {
          name,
          enabled: enabled(o.azure !== undefined || url !== undefined, 'PROXIMA_AZURE_METADATA_URL'),
          url: trimSlash(url ?? LINK_LOCAL_METADATA),
          apiVersion: o.azure?.apiVersion ?? DEFAULT_AZURE_API_VERSION,
          timeoutMs: o.azure?.timeoutMs ?? budget,
        };
      }
    }
  });
  return { sources, timeoutMs: budget, cache: o.cache ?? true };
}

/** `PROXIMA_TOPOLOGY_SOURCES=env,kubernetes,aws`: known names, each once. */
function sourcesFromEnv(value: string | undefined): TopologySourceName[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const out: TopologySourceName[] = [];
  for (const name of names) {
    const known = TOPOLOGY_SOURCES.find((s) => s === name);
    if (known === undefined)
      throw invalidArgument(
        'PROXIMA_TOPOLOGY_SOURCES',
        `unknown source "${name}" (expected ${TOPOLOGY_SOURCES.join(', ')})`,
      );
    if (!out.includes(known)) out.push(known);
  }
  return out;
}

function checkedUrl(value: string | undefined, variable: string): string | undefined {
  if (value === undefined) return undefined;
  if (!/^https?:\/\/[^/]+/.test(value) || !URL.canParse(value))
    throw invalidArgument(variable, `expected an http(s):// URL, got "${value}"`);
  return value;
}

function positive(value: string, variable: string): number {
  const ms = parseDuration(value, variable);
  if (ms <= 0 || ms > 60_000)
    throw invalidArgument(variable, `expected a duration from 1ms to 60s, got "${value}"`);
  return ms;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
