import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { startRegistryServer, type RegistryServer } from '../../src/server/index.js';
import {
  type FakeMetadataServer,
  startFakeAws,
  startFakeAzure,
  startFakeGcp,
  startFakeKubernetes,
} from '../../src/topology/testing/fake-metadata.js';
import { makeTestCertificates, type TestCertificates } from '../support/certs.js';
import { eventually, type OwnedProcess, ProcessGroup } from '../support/processes.js';

// `proxima register` from the dist build (bin/proxima.js), as users run it: run `npm run build` first.
const group = new ProcessGroup();
let server: RegistryServer;
let registry: HttpRegistry;
const fakes: FakeMetadataServer[] = [];
let certs: TestCertificates;
let saDir: string;

/** Every locality variable blanked, so the runner's own environment cannot leak a zone in. */
const NO_LOCALITY = {
  PROXIMA_REGION: '',
  PROXIMA_ZONE: '',
  PROXIMA_SUBZONE: '',
  SERVICE_REGION: '',
  SERVICE_ZONE: '',
  SERVICE_SUBZONE: '',
  PROXIMA_NODE_NAME: '',
  PROXIMA_POD_LABELS_FILE: '',
  AWS_EC2_METADATA_SERVICE_ENDPOINT: '',
  GCE_METADATA_HOST: '',
  PROXIMA_AZURE_METADATA_URL: '',
  KUBERNETES_SERVICE_HOST: '',
};

beforeAll(async () => {
  server = await startRegistryServer({ port: 0, logger: pino({ level: 'silent' }) });
  registry = new HttpRegistry({ url: server.url });
  certs = await makeTestCertificates();
  saDir = await mkdtemp(join(tmpdir(), 'proxima-sa-'));
  await writeFile(join(saDir, 'token'), 'pod-token');
  await writeFile(join(saDir, 'ca.crt'), await readFile(certs.ca));
}, 60_000);
afterAll(async () => {
  await group.killAll();
  for (const f of fakes) await f.close();
  await registry.close();
  await server.close();
  await certs.remove();
  await rm(saDir, { recursive: true, force: true });
});

async function fake(server: Promise<FakeMetadataServer>): Promise<FakeMetadataServer> {
  const f = await server;
  fakes.push(f);
  return f;
}

function register(name: string, args: readonly string[], env: Record<string, string>): OwnedProcess {
  return group.start(
    name,
    process.execPath,
    ['bin/proxima.js', 'register', '--registry', server.url, '--ttl', '3s', ...args],
    { ...NO_LOCALITY, PROXIMA_LOG_LEVEL: 'warn', ...env },
  );
}

async function localityOf(service: string): Promise<unknown> {
  const [instance] = (await registry.list(service)).instances;
  return instance?.locality;
}

describe('proxima register finds its zone from one metadata source on loopback', () => {
  it.each([
    ['aws', { region: 'eu-west-1', zone: 'eu-west-1c' }],
    ['gcp', { region: 'europe-west4', zone: 'europe-west4-b' }],
    ['azure', { region: 'swedencentral', zone: 'swedencentral-3' }],
    ['kubernetes', { region: 'ap-south-1', zone: 'ap-south-1a' }],
  ] as const)('%s', async (source, expected) => {
    let env: Record<string, string>;
    if (source === 'aws') {
      const f = await fake(startFakeAws({ region: 'eu-west-1', zone: 'eu-west-1c', zoneId: 'euw1-az2' }));
      env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: f.url };
    } else if (source === 'gcp') {
      const f = await fake(startFakeGcp({ project: '99', zone: 'europe-west4-b' }));
      env = { GCE_METADATA_HOST: f.host };
    } else if (source === 'azure') {
      const f = await fake(startFakeAzure({ location: 'swedencentral', zone: '3' }));
      env = { PROXIMA_AZURE_METADATA_URL: f.url };
    } else {
      const tls = {
        key: await readFile(certs.serverKey, 'utf8'),
        cert: await readFile(certs.serverCert, 'utf8'),
      };
      const nodes = {
        'ip-10-0-0-1': {
          'topology.kubernetes.io/region': 'ap-south-1',
          'topology.kubernetes.io/zone': 'ap-south-1a',
        },
      };
      const f = await fake(startFakeKubernetes({ token: 'pod-token', nodes, tls }));
      env = {
        PROXIMA_NODE_NAME: 'ip-10-0-0-1',
        PROXIMA_KUBERNETES_API_URL: f.url,
        PROXIMA_KUBERNETES_SERVICE_ACCOUNT_DIR: saDir,
      };
    }
    const service = `legacy-${source}`;
    const p = register(service, ['--service', service, '--address', '127.0.0.1:9100'], {
      ...env,
      PROXIMA_TOPOLOGY_SOURCES: source,
      PROXIMA_TOPOLOGY_TIMEOUT: '10s', // a loaded test machine; the budget itself is tested in src/topology
    });
    const line = await p.waitForLine(new RegExp(`^registered ${service}/`), 30_000);
    expect(line).toContain(`(${expected.region}/${expected.zone})`);
    expect(await localityOf(service)).toEqual({ ...expected, subzone: '' });
    expect(p.lines.join('\n')).not.toContain('zone unknown');
    await p.stop();
  });

  it('with every source failing, registers with an unknown zone and says what each answered', async () => {
    const aws = await fake(startFakeAws({ region: 'x', zone: 'x', zoneId: 'x' }));
    aws.mode = 'error';
    const gcp = await fake(startFakeGcp({ project: '1', zone: 'a-b' }));
    gcp.mode = 'garbage';
    const azure = await fake(startFakeAzure({ location: 'l', zone: '1' }));
    azure.mode = 'hang';
    const p = register('unknown', ['--service', 'legacy-unknown', '--address', '127.0.0.1:9101'], {
      PROXIMA_TOPOLOGY_SOURCES: 'env,kubernetes,aws,gcp,azure',
      PROXIMA_TOPOLOGY_TIMEOUT: '3s',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url,
      GCE_METADATA_HOST: gcp.host,
      PROXIMA_AZURE_METADATA_URL: azure.url,
    });
    const line = await p.waitForLine(/^registered legacy-unknown\//, 30_000);
    expect(line).toContain('(?/?)');
    expect(await localityOf('legacy-unknown')).toEqual({ region: '', zone: '', subzone: '' });
    const warning = p.lines.find((l) => l.includes('zone unknown for this service')) ?? '';
    expect(warning).toMatch(/"level":40/);
    expect(warning).toContain('env: empty');
    expect(warning).toContain('kubernetes: empty, no node name');
    expect(warning).toContain('aws: failed, token: HTTP 500');
    expect(warning).toContain('gcp: failed, garbage instance/zone');
    expect(warning).toContain('azure: failed, no answer: topology lookup budget of 3000 ms spent');
    await p.stop();
  });
});

describe('proxima register --check', () => {
  let app: Server | undefined;
  afterEach(async () => {
    app?.closeAllConnections();
    await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
  });

  it('flips the instance DOWN after 3 missed HTTP checks and UP after 2 passes', async () => {
    let healthy = true;
    app = createServer((req, res) => res.writeHead(req.url === '/healthz' && healthy ? 200 : 503).end());
    await new Promise<void>((resolve) => app!.listen(0, '127.0.0.1', resolve));
    const port = (app.address() as AddressInfo).port;
    const statusOf = async (): Promise<string | undefined> =>
      (await registry.list('legacy-checked')).instances[0]?.status;
    const p = register(
      'checked',
      [
        '--service',
        'legacy-checked',
        '--address',
        `127.0.0.1:${port}`,
        '--region',
        'r1',
        '--zone',
        'r1-a',
        '--check',
        `http://127.0.0.1:${port}/healthz`,
        '--check-interval',
        '200ms',
        '--check-timeout',
        '150ms',
      ],
      {},
    );
    await p.waitForLine(/^registered legacy-checked\//, 30_000);
    expect(await statusOf()).toBe('UP');
    healthy = false;
    await p.waitForLine(/^health failing: legacy-checked\/.* DOWN \(HTTP 503\)/, 15_000);
    await eventually(async () => (await statusOf()) === 'DOWN', 5_000);
    expect((await registry.list('legacy-checked')).instances).toHaveLength(1); // listed, not routed
    healthy = true;
    await p.waitForLine(/^health passing: legacy-checked\/.* UP/, 15_000);
    await eventually(async () => (await statusOf()) === 'UP', 5_000);
    await p.stop();
  });

  it('--check tcp misses once the port closes', async () => {
    app = createServer((_req, res) => res.end());
    await new Promise<void>((resolve) => app!.listen(0, '127.0.0.1', resolve));
    const port = (app.address() as AddressInfo).port;
    const p = register(
      'checked-tcp',
      [
        '--service',
        'legacy-tcp',
        '--address',
        `127.0.0.1:${port}`,
        '--zone',
        'z',
        '--region',
        'r',
        '--check',
        'tcp',
        '--check-interval',
        '200ms',
      ],
      {},
    );
    await p.waitForLine(/^registered legacy-tcp\//, 30_000);
    app.closeAllConnections();
    await new Promise<void>((resolve) => app!.close(() => resolve()));
    app = undefined;
    await p.waitForLine(/^health failing: legacy-tcp\/.* DOWN \(ECONNREFUSED\)/, 15_000);
    await eventually(async () => (await registry.list('legacy-tcp')).instances[0]?.status === 'DOWN', 5_000);
    await p.stop();
  });

  it('names the flag of a bad check', async () => {
    const p = register('bad-check', ['--service', 's', '--address', '127.0.0.1:1', '--check', 'ftp://x'], {});
    const { code } = await p.exited;
    expect(code).toBe(2);
    expect(p.lines.join('\n')).toMatch(/--check/);
  });
});
