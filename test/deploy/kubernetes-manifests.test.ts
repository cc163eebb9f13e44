import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseCommandLine } from '../../src/core/command-line/parse.js';
import { command as registerCommand } from '../../src/cli/commands/register.js';
import { lookupTopology } from '../../src/topology/index.js';
import { type FakeMetadataServer, startFakeKubernetes } from '../../src/topology/testing/fake-metadata.js';
import { makeTestCertificates, type TestCertificates } from '../support/certs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy/kubernetes');

interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly fieldRef?: { readonly fieldPath: string } };
}
interface Container {
  readonly name: string;
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
}
interface Rule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}
type Doc = Record<string, unknown> & { kind: string; metadata: { name: string } };

async function manifests(): Promise<Map<string, Doc[]>> {
  const out = new Map<string, Doc[]>();
  for (const file of (await readdir(DEPLOY)).filter((f) => f.endsWith('.yaml'))) {
    const docs = parseAllDocuments(await readFile(join(DEPLOY, file), 'utf8'));
    out.set(
      file,
      docs.map((d) => {
        expect(d.errors, `${file}: YAML errors`).toEqual([]);
        return d.toJS() as Doc;
      }),
    );
  }
  return out;
}

function podSpec(doc: Doc): { serviceAccountName?: string; containers: Container[] } {
  return (
    doc as unknown as {
      spec: { template: { spec: { serviceAccountName?: string; containers: Container[] } } };
    }
  ).spec.template.spec;
}

/** The environment variable names Proxima's code reads (string literals and `env.NAME` reads in src/). */
async function namesTheCodeReads(): Promise<Set<string>> {
  const names = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const text = await readFile(path, 'utf8');
        const pattern = /['"`.]((?:PROXIMA|SERVICE|CLIENT|AWS|GCE|KUBERNETES)_[A-Z0-9_]+)\b/g;
        for (const m of text.matchAll(pattern)) names.add(m[1] as string);
      }
    }
  };
  await walk(join(ROOT, 'src'));
  return names;
}

let certs: TestCertificates;
let saDir: string;
let api: FakeMetadataServer;
beforeAll(async () => {
  certs = await makeTestCertificates();
  saDir = await mkdtemp(join(tmpdir(), 'proxima-sa-'));
  await writeFile(join(saDir, 'token'), 'sa-token');
  await writeFile(join(saDir, 'ca.crt'), await readFile(certs.ca));
  api = await startFakeKubernetes({
    token: 'sa-token',
    nodes: {
      'node-7': { 'topology.kubernetes.io/region': 'eu-west-3', 'topology.kubernetes.io/zone': 'eu-west-3b' },
    },
    tls: { key: await readFile(certs.serverKey, 'utf8'), cert: await readFile(certs.serverCert, 'utf8') },
  });
}, 60_000);
afterAll(async () => {
  await api.close();
  await certs.remove();
  await rm(saDir, { recursive: true, force: true });
});

describe('deploy/kubernetes', () => {
  it('sets only variables Proxima reads (or the container itself references)', async () => {
    const known = await namesTheCodeReads();
    expect(known).toContain('PROXIMA_NODE_NAME'); // the scan finds what it should
    const all = await manifests();
    let checked = 0;
    for (const [file, docs] of all) {
      for (const doc of docs.filter((d) => d.kind === 'Deployment')) {
        for (const c of podSpec(doc).containers) {
          for (const v of c.env ?? []) {
            const referenced = (c.args ?? []).some((a) => a.includes(`$(${v.name})`));
            expect(known.has(v.name) || referenced, `${file} ${c.name}: ${v.name} is read by nothing`).toBe(
              true,
            );
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('gives the sidecar flags that proxima register accepts', async () => {
    const sidecar = podSpec(
      (await manifests()).get('sidecar.yaml')?.find((d) => d.kind === 'Deployment') as Doc,
    ).containers.find((c) => c.name === 'proxima-register');
    const [name, ...rest] = sidecar?.args ?? [];
    expect(name).toBe('register');
    const line = parseCommandLine(registerCommand.flags, registerCommand.positionals, rest);
    expect(line.flags).toMatchObject({
      service: 'web',
      check: 'http://127.0.0.1:80/',
      'check-interval': '5s',
    });
  });

  it('grants exactly the RBAC the node lookup uses, to the account the pods run as', async () => {
    const all = await manifests();
    const rbac = all.get('rbac.yaml') ?? [];
    const role = rbac.find((d) => d.kind === 'ClusterRole') as unknown as {
      metadata: { name: string };
      rules: Rule[];
    };
    const binding = rbac.find((d) => d.kind === 'ClusterRoleBinding') as unknown as {
      roleRef: { name: string };
      subjects: Array<{ kind: string; name: string }>;
    };
    const account = rbac.find((d) => d.kind === 'ServiceAccount')?.metadata.name;
    expect(binding.roleRef.name).toBe(role.metadata.name);
    expect(binding.subjects).toContainEqual(
      expect.objectContaining({ kind: 'ServiceAccount', name: account }),
    );

    for (const file of ['app.yaml', 'sidecar.yaml']) {
      const doc = all.get(file)?.find((d) => d.kind === 'Deployment') as Doc;
      expect(podSpec(doc).serviceAccountName, file).toBe(account);
      const container = podSpec(doc).containers.find((c) =>
        (c.env ?? []).some((v) => v.name === 'PROXIMA_NODE_NAME'),
      );
      // The pod as the kubelet fills it in: its node, and no topology labels on the pod (an older cluster).
      const pod: Record<string, string> = { 'spec.nodeName': 'node-7', 'status.podIP': '10.0.0.9' };
      const env: Record<string, string> = {
        // In a pod these come from the cluster; here they point at the fake API server.
        PROXIMA_KUBERNETES_API_URL: api.url,
        PROXIMA_KUBERNETES_SERVICE_ACCOUNT_DIR: saDir,
      };
      for (const v of container?.env ?? []) {
        const path = v.valueFrom?.fieldRef?.fieldPath;
        env[v.name] = v.value ?? (path === undefined ? '' : (pod[path] ?? ''));
      }
      const before = api.requests.length;
      const report = await lookupTopology({ env, topology: { cache: false } });
      expect(report.locality, file).toMatchObject({ region: 'eu-west-3', zone: 'eu-west-3b' });
      const made = api.requests.slice(before);
      expect(made.length).toBeGreaterThan(0);
      for (const request of made) {
        // Kubernetes RBAC: GET of one named object is the verb `get`; of a collection, `list`.
        const m = /^\/api\/v1\/([a-z]+)(\/[^/?]+)?/.exec(request.url);
        expect(m, request.url).not.toBeNull();
        const verb =
          request.method === 'GET' ? (m?.[2] === undefined ? 'list' : 'get') : request.method.toLowerCase();
        const resource = m?.[1] as string;
        expect(
          role.rules.some(
            (r) => r.apiGroups.includes('') && r.resources.includes(resource) && r.verbs.includes(verb),
          ),
          `${verb} ${resource} not granted`,
        ).toBe(true);
      }
    }
    // Nothing beyond what the lookup uses.
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]);
  });
});
