import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_METADATA_BYTES, metadataRequest } from '../http-get.js';
import type { ResolvedSource } from '../options.js';
import type { PartialLocality, SourceAnswer, TopologySource } from '../topology.js';
import { checkedName, failure, foundOrEmpty, GarbageAnswer, ok, quote } from './answer.js';

type KubernetesConfig = Extract<ResolvedSource, { name: 'kubernetes' }>;

/** The well-known topology labels, and the deprecated ones older clusters still set. */
const REGION_LABELS = ['topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/region'];
const ZONE_LABELS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'];

/**
 * Kubernetes: first the pod's own labels from a Downward API volume (clusters with
 * PodTopologyLabels, KEP-4742, copy the node's topology labels onto the pod), then the node's
 * labels from the API server: `GET /api/v1/nodes/NAME` with the pod's service-account token,
 * trusting the service-account CA. Needs RBAC `get` on `nodes` (a ClusterRole: nodes are not
 * namespaced). The token file is read at each lookup: kubelet rotates bound tokens.
 */
export function kubernetesSource(config: KubernetesConfig): TopologySource {
  return {
    name: 'kubernetes',
    async lookup(signal): Promise<SourceAnswer> {
      const notes: string[] = [];
      if (config.podLabelsFile !== undefined) {
        try {
          const labels = parseLabelsFile(await readSmall(config.podLabelsFile));
          const locality = topologyOf(labels);
          if (locality.zone) return { kind: 'found', locality, detail: `pod labels ${describe(locality)}` };
          notes.push(`pod labels: no ${ZONE_LABELS[0]} label`);
        } catch (error) {
          notes.push(`pod labels: ${failure(error).detail}`);
        }
      }
      if (config.nodeName === undefined) {
        notes.push('no node name (set PROXIMA_NODE_NAME from spec.nodeName)');
        return { kind: 'empty', detail: notes.join('; ') };
      }
      if (config.apiUrl === undefined) {
        notes.push('no API server (KUBERNETES_SERVICE_HOST unset: not in a cluster?)');
        return { kind: 'failed', detail: notes.join('; ') };
      }
      try {
        const locality = await nodeTopology(config, config.apiUrl, config.nodeName, signal);
        const answer = foundOrEmpty(locality, `node ${config.nodeName}: ${describe(locality)}`);
        return notes.length === 0 ? answer : { ...answer, detail: `${notes.join('; ')}; ${answer.detail}` };
      } catch (error) {
        notes.push(`node ${config.nodeName}: ${failure(error).detail}`);
        return { kind: 'failed', detail: notes.join('; ') };
      }
    },
  };
}

async function nodeTopology(
  config: KubernetesConfig,
  apiUrl: string,
  nodeName: string,
  signal: AbortSignal,
): Promise<PartialLocality> {
  const token = (await readSmall(join(config.serviceAccountDir, 'token'))).trim();
  const ca = apiUrl.startsWith('https:')
    ? await readSmall(join(config.serviceAccountDir, 'ca.crt'))
    : undefined;
  const res = await metadataRequest({
    url: `${apiUrl.replace(/\/+$/, '')}/api/v1/nodes/${encodeURIComponent(nodeName)}`,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    signal,
    ...(ca === undefined ? {} : { ca }),
  });
  if (res.status === 401 || res.status === 403) {
    throw new Error(
      `HTTP ${res.status}: the service account needs RBAC get on nodes (see deploy/kubernetes/rbac.yaml)`,
    );
  }
  const body = ok(res, `GET /api/v1/nodes/${nodeName}`);
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new GarbageAnswer(`garbage node document ${quote(body)}`);
  }
  const labels = (doc as { metadata?: { labels?: unknown } } | null)?.metadata?.labels;
  if (typeof labels !== 'object' || labels === null)
    throw new GarbageAnswer('node document without metadata.labels');
  const strings = new Map<string, string>();
  for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') strings.set(k, v);
  return topologyOf(strings);
}

function topologyOf(labels: ReadonlyMap<string, string>): PartialLocality {
  const first = (names: readonly string[]): string | undefined =>
    names.map((n) => labels.get(n)).find((v) => v !== undefined && v !== '');
  const region = first(REGION_LABELS);
  const zone = first(ZONE_LABELS);
  return {
    ...(region === undefined ? {} : { region: checkedName(region, 'region label') }),
    ...(zone === undefined ? {} : { zone: checkedName(zone, 'zone label') }),
  };
}

/**
 * A Downward API labels file: one `key="value"` per line, the value a Go-quoted string (JSON
 * string syntax covers the escapes kubelet writes for label values).
 */
export function parseLabelsFile(text: string): Map<string, string> {
  const labels = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new GarbageAnswer(`garbage labels line ${quote(line)}`);
    let value: unknown;
    try {
      value = JSON.parse(line.slice(eq + 1));
    } catch {
      throw new GarbageAnswer(`garbage labels line ${quote(line)}`);
    }
    if (typeof value !== 'string') throw new GarbageAnswer(`garbage labels line ${quote(line)}`);
    labels.set(line.slice(0, eq).trim(), value);
  }
  return labels;
}

function describe(l: PartialLocality): string {
  return [
    l.region ? `region ${l.region}` : 'no region label',
    l.zone ? `zone ${l.zone}` : 'no zone label',
  ].join(', ');
}

/** Reads at most {@link MAX_METADATA_BYTES} of a file: a token, a CA bundle or a labels file. */
async function readSmall(path: string): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(`cannot read ${path} (${code})`);
  }
  try {
    const buffer = Buffer.alloc(MAX_METADATA_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_METADATA_BYTES) throw new Error(`${path} is larger than ${MAX_METADATA_BYTES} bytes`);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}
