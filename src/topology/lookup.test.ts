import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { type AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTestCertificates, type TestCertificates } from '../../test/support/certs.js';
import { recordingLogger } from '../core/testing/recording-logger.js';
import { MAX_METADATA_BYTES } from './http-get.js';
import { announceTopology, lookupTopology, type TopologyReport } from './index.js';
import {
  type FakeMetadataServer,
  startFakeAws,
  startFakeAzure,
  startFakeGcp,
  startFakeKubernetes,
} from './testing/fake-metadata.js';

const servers: FakeMetadataServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
async function own(server: Promise<FakeMetadataServer>): Promise<FakeMetadataServer> {
  const s = await server;
  servers.push(s);
  return s;
}

const answerOf = (report: TopologyReport, source: string) =>
  report.sources.find((s) => s.source === source)?.answer;

/** Records every outgoing TCP connect of this process (node:http ends in Socket#connect). */
function recordConnects(): { hosts: string[]; restore: () => void } {
  const hosts: string[] = [];
  const original = Socket.prototype.connect;
  const spy = vi.spyOn(Socket.prototype, 'connect').mockImplementation(function (
    this: Socket,
    ...args: unknown[]
  ) {
    // net.connect passes its normalized arguments as one array: [options, callback].
    const first = (Array.isArray(args[0]) ? args[0][0] : args[0]) as
      { host?: string; path?: string | null } | undefined;
    if (typeof first?.path !== 'string') hosts.push(first?.host ?? `unparsed ${JSON.stringify(args)}`);
    return (original as (...a: unknown[]) => Socket).apply(this, args);
  });
  return { hosts, restore: () => spy.mockRestore() };
}

describe('default sources', () => {
  it('read env only: no network source is asked unless something enables it', async () => {
    const connects = recordConnects();
    try {
      const report = await lookupTopology({ env: {}, topology: { cache: false } });
      expect(report.known).toBe(false);
      expect(answerOf(report, 'env')?.kind).toBe('empty');
      for (const source of ['kubernetes', 'aws', 'gcp', 'azure']) {
        expect(answerOf(report, source)).toMatchObject({
          kind: 'skipped',
          detail: expect.stringMatching(/not enabled/),
        });
      }
      // The test runner's own environment (whatever CI sets) reaches nothing off loopback either.
      const { PROXIMA_TOPOLOGY_SOURCES: _s, PROXIMA_NODE_NAME: _n, ...runner } = process.env;
      await lookupTopology({
        env: {
          ...runner,
          AWS_EC2_METADATA_SERVICE_ENDPOINT: '',
          GCE_METADATA_HOST: '',
          PROXIMA_AZURE_METADATA_URL: '',
        },
        topology: { cache: false },
      });
      await lookupTopology({ env: process.env, role: 'client', topology: { cache: false } });
      expect(connects.hosts.filter((h) => !/^(127\.|::1$|localhost$)/.test(h))).toEqual([]);
    } finally {
      connects.restore();
    }
  });

  it('the connect recorder sees real connects (so the test above can fail)', async () => {
    const aws = await own(startFakeAws({ region: 'eu-west-1', zone: 'eu-west-1a', zoneId: 'euw1-az1' }));
    const connects = recordConnects();
    try {
      await lookupTopology({
        env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url },
        topology: { cache: false },
      });
    } finally {
      connects.restore();
    }
    expect(connects.hosts).toContain('127.0.0.1');
  });

  it('reject an unknown source name, naming the variable', async () => {
    await expect(lookupTopology({ env: { PROXIMA_TOPOLOGY_SOURCES: 'env,ec2' } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'PROXIMA_TOPOLOGY_SOURCES',
    });
    await expect(
      lookupTopology({ env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: 'ftp://x' } }),
    ).rejects.toMatchObject({
      field: 'AWS_EC2_METADATA_SERVICE_ENDPOINT',
    });
    await expect(lookupTopology({ env: {}, topology: { timeoutMs: -1 } })).rejects.toMatchObject({
      field: 'topology.timeoutMs',
    });
  });
});

describe('AWS IMDSv2', () => {
  const place = { region: 'eu-west-1', zone: 'eu-west-1b', zoneId: 'euw1-az3' };

  it('PUTs for a token with a TTL, then reads placement with the token', async () => {
    const aws = await own(startFakeAws(place));
    const report = await lookupTopology({
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url },
      topology: { cache: false },
    });
    expect(report.locality).toEqual({ region: 'eu-west-1', zone: 'eu-west-1b', subzone: '' });
    expect(report.known).toBe(true);
    expect(answerOf(report, 'aws')).toMatchObject({
      kind: 'found',
      detail: expect.stringContaining('euw1-az3'),
    });
    const [token, ...reads] = aws.requests;
    expect(token).toMatchObject({ method: 'PUT', url: '/latest/api/token' });
    expect(Number(token?.headers['x-aws-ec2-metadata-token-ttl-seconds'])).toBeGreaterThan(0);
    expect(reads.map((r) => r.url).sort()).toEqual([
      '/latest/meta-data/placement/availability-zone',
      '/latest/meta-data/placement/availability-zone-id',
      '/latest/meta-data/placement/region',
    ]);
    for (const r of reads) expect(r.headers['x-aws-ec2-metadata-token']).toBe('AQAEAFakeImdsV2Token==');
  });

  it('registers the AZ id when asked to', async () => {
    const aws = await own(startFakeAws(place));
    const report = await lookupTopology({
      env: {},
      topology: { cache: false, aws: { endpoint: aws.url, zone: 'id' } },
    });
    expect(report.locality.zone).toBe('euw1-az3');
  });

  it('honours AWS_EC2_METADATA_DISABLED=true as the SDKs do', async () => {
    const aws = await own(startFakeAws(place));
    const report = await lookupTopology({
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url, AWS_EC2_METADATA_DISABLED: 'true' },
      topology: { cache: false },
    });
    expect(answerOf(report, 'aws')).toMatchObject({
      kind: 'skipped',
      detail: expect.stringContaining('AWS_EC2_METADATA_DISABLED'),
    });
    expect(aws.requests).toEqual([]);
  });

  it('a garbage zone, a 500 and a hang each fail with a reason, and the next source answers', async () => {
    const gcp = await own(startFakeGcp({ project: '123', zone: 'europe-west1-c' }));
    for (const [mode, reason] of [
      ['garbage', /garbage availability-zone "<html>login<\/html>"/],
      ['error', /token: HTTP 500/],
      ['hang', /timed out after 150 ms/],
    ] as const) {
      const aws = await own(startFakeAws(place));
      aws.mode = mode;
      const report = await lookupTopology({
        env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url, GCE_METADATA_HOST: gcp.host },
        topology: { cache: false, aws: { timeoutMs: 150 } },
      });
      expect(answerOf(report, 'aws')).toMatchObject({
        kind: 'failed',
        detail: expect.stringMatching(reason),
      });
      expect(report.locality).toMatchObject({ region: 'europe-west1', zone: 'europe-west1-c' });
    }
  });
});

describe('GCP metadata', () => {
  it('asks instance/zone with Metadata-Flavor: Google and derives the region', async () => {
    const gcp = await own(startFakeGcp({ project: '4242', zone: 'us-central1-f' }));
    const report = await lookupTopology({ env: { GCE_METADATA_HOST: gcp.host }, topology: { cache: false } });
    expect(report.locality).toEqual({ region: 'us-central1', zone: 'us-central1-f', subzone: '' });
    expect(gcp.requests).toEqual([
      expect.objectContaining({
        method: 'GET',
        url: '/computeMetadata/v1/instance/zone',
        headers: expect.objectContaining({ 'metadata-flavor': 'Google' }),
      }),
    ]);
  });

  it('refuses garbage', async () => {
    const gcp = await own(startFakeGcp({ project: '4242', zone: 'us-central1-f' }));
    gcp.mode = 'garbage';
    const report = await lookupTopology({ env: { GCE_METADATA_HOST: gcp.host }, topology: { cache: false } });
    expect(answerOf(report, 'gcp')).toMatchObject({
      kind: 'failed',
      detail: 'garbage instance/zone "zone: somewhere"',
    });
    expect(report.known).toBe(false);
  });
});

describe('Azure IMDS', () => {
  it('asks compute with Metadata: true and an api-version; zone N becomes LOCATION-N', async () => {
    const azure = await own(startFakeAzure({ location: 'westeurope', zone: '2' }));
    const report = await lookupTopology({
      env: { PROXIMA_AZURE_METADATA_URL: azure.url },
      topology: { cache: false },
    });
    expect(report.locality).toEqual({ region: 'westeurope', zone: 'westeurope-2', subzone: '' });
    const [req] = azure.requests;
    expect(req?.headers.metadata).toBe('true');
    expect(new URL(req?.url ?? '', 'http://x').searchParams.get('api-version')).toBe('2021-02-01');
  });

  it('a VM outside zones gives a region and leaves the zone unknown; garbage fails', async () => {
    const azure = await own(startFakeAzure({ location: 'northeurope', zone: '' }));
    const report = await lookupTopology({
      env: { PROXIMA_AZURE_METADATA_URL: azure.url },
      topology: { cache: false },
    });
    expect(report.locality).toEqual({ region: 'northeurope', zone: '', subzone: '' });
    expect(report.known).toBe(false);
    azure.mode = 'garbage';
    const again = await lookupTopology({
      env: { PROXIMA_AZURE_METADATA_URL: azure.url },
      topology: { cache: false },
    });
    expect(answerOf(again, 'azure')).toMatchObject({
      kind: 'failed',
      detail: expect.stringMatching(/^garbage compute document/),
    });
  });
});

describe('Kubernetes', () => {
  let certs: TestCertificates;
  let dir: string;
  let tls: { key: string; cert: string };
  beforeAll(async () => {
    certs = await makeTestCertificates();
    dir = await mkdtemp(join(tmpdir(), 'proxima-sa-'));
    await writeFile(join(dir, 'token'), 'eyJhbGciOi.fake-service-account-token\n');
    await writeFile(join(dir, 'ca.crt'), await readFile(certs.ca));
    tls = { key: await readFile(certs.serverKey, 'utf8'), cert: await readFile(certs.serverCert, 'utf8') };
  }, 60_000);
  afterAll(async () => {
    await certs.remove();
    await rm(dir, { recursive: true, force: true });
  });
  const nodes = {
    'node-a': {
      'kubernetes.io/hostname': 'node-a',
      'topology.kubernetes.io/region': 'eu-central-1',
      'topology.kubernetes.io/zone': 'eu-central-1b',
    },
    'node-old': {
      'failure-domain.beta.kubernetes.io/region': 'us-east-1',
      'failure-domain.beta.kubernetes.io/zone': 'us-east-1d',
    },
    'node-bare': { 'kubernetes.io/hostname': 'node-bare' },
  };

  it('reads node labels over TLS with the service-account token and CA', async () => {
    const api = await own(
      startFakeKubernetes({ token: 'eyJhbGciOi.fake-service-account-token', nodes, tls }),
    );
    const env = {
      PROXIMA_NODE_NAME: 'node-a',
      PROXIMA_KUBERNETES_API_URL: api.url,
      PROXIMA_KUBERNETES_SERVICE_ACCOUNT_DIR: dir,
    };
    const report = await lookupTopology({ env, topology: { cache: false } });
    expect(report.locality).toEqual({ region: 'eu-central-1', zone: 'eu-central-1b', subzone: '' });
    expect(api.requests).toEqual([
      expect.objectContaining({
        method: 'GET',
        url: '/api/v1/nodes/node-a',
        headers: expect.objectContaining({ authorization: 'Bearer eyJhbGciOi.fake-service-account-token' }),
      }),
    ]);
    const old = await lookupTopology({
      env: { ...env, PROXIMA_NODE_NAME: 'node-old' },
      topology: { cache: false },
    });
    expect(old.locality.zone).toBe('us-east-1d');
    const bare = await lookupTopology({
      env: { ...env, PROXIMA_NODE_NAME: 'node-bare' },
      topology: { cache: false },
    });
    expect(answerOf(bare, 'kubernetes')).toMatchObject({
      kind: 'empty',
      detail: expect.stringContaining('no zone label'),
    });
  });

  it('finds the API server from KUBERNETES_SERVICE_HOST/PORT as in a pod', async () => {
    const api = await own(
      startFakeKubernetes({ token: 'eyJhbGciOi.fake-service-account-token', nodes, tls }),
    );
    const port = new URL(api.url).port;
    const report = await lookupTopology({
      env: {
        PROXIMA_NODE_NAME: 'node-a',
        KUBERNETES_SERVICE_HOST: '127.0.0.1',
        KUBERNETES_SERVICE_PORT: port,
        PROXIMA_KUBERNETES_SERVICE_ACCOUNT_DIR: dir,
      },
      topology: { cache: false },
    });
    expect(report.locality.zone).toBe('eu-central-1b');
  });

  it('says what RBAC is missing on 401/403, refuses an untrusted server, and reads garbage as a failure', async () => {
    const api = await own(startFakeKubernetes({ token: 'another-token', nodes, tls }));
    const env = {
      PROXIMA_NODE_NAME: 'node-a',
      PROXIMA_KUBERNETES_API_URL: api.url,
      PROXIMA_KUBERNETES_SERVICE_ACCOUNT_DIR: dir,
    };
    const denied = await lookupTopology({ env, topology: { cache: false } });
    expect(answerOf(denied, 'kubernetes')).toMatchObject({
      kind: 'failed',
      detail: expect.stringMatching(/HTTP 401: .*get on nodes/),
    });
    const otherDir = await mkdtemp(join(tmpdir(), 'proxima-sa-'));
    try {
      await writeFile(join(otherDir, 'token'), 'another-token');
      await writeFile(join(otherDir, 'ca.crt'), await readFile(certs.otherCa));
      const untrusted = await lookupTopology({
        env: { ...env, PROXIMA_KUBERNETES_SERVICE_ACCOUNT_DIR: otherDir },
        topology: { cache: false },
      });
      expect(answerOf(untrusted, 'kubernetes')).toMatchObject({
        kind: 'failed',
        detail: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i),
      });
      await writeFile(join(otherDir, 'ca.crt'), await readFile(certs.ca));
      api.mode = 'garbage';
      const garbage = await lookupTopology({
        env: { ...env, PROXIMA_KUBERNETES_SERVICE_ACCOUNT_DIR: otherDir },
        topology: { cache: false },
      });
      expect(answerOf(garbage, 'kubernetes')).toMatchObject({
        kind: 'failed',
        detail: expect.stringContaining('garbage node document'),
      });
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('prefers pod topology labels from a Downward API volume, with no API request', async () => {
    const api = await own(
      startFakeKubernetes({ token: 'eyJhbGciOi.fake-service-account-token', nodes, tls }),
    );
    const labels = join(dir, 'labels');
    await writeFile(
      labels,
      'app="users"\ntopology.kubernetes.io/region="eu-north-1"\ntopology.kubernetes.io/zone="eu-north-1c"\n',
    );
    const report = await lookupTopology({
      env: {
        PROXIMA_POD_LABELS_FILE: labels,
        PROXIMA_NODE_NAME: 'node-a',
        PROXIMA_KUBERNETES_API_URL: api.url,
        PROXIMA_KUBERNETES_SERVICE_ACCOUNT_DIR: dir,
      },
      topology: { cache: false },
    });
    expect(report.locality).toMatchObject({ region: 'eu-north-1', zone: 'eu-north-1c' });
    expect(api.requests).toEqual([]);
  });
});

describe('order, budget and cache', () => {
  it('options win over env, env over network; network is not asked when env names region and zone', async () => {
    const aws = await own(startFakeAws({ region: 'eu-west-1', zone: 'eu-west-1a', zoneId: 'euw1-az1' }));
    const env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url, PROXIMA_REGION: 'eu', SERVICE_ZONE: 'eu-1' };
    const report = await lookupTopology({ env, configured: { zone: 'eu-2' }, topology: { cache: false } });
    expect(report.locality).toEqual({ region: 'eu', zone: 'eu-2', subzone: '' });
    expect(answerOf(report, 'aws')).toMatchObject({
      kind: 'skipped',
      detail: expect.stringContaining('not needed'),
    });
    expect(aws.requests).toEqual([]);
    // Only a region from env: the zone comes from the network, the region stays env's.
    const partial = await lookupTopology({ env: { ...env, SERVICE_ZONE: '' }, topology: { cache: false } });
    expect(partial.locality).toEqual({ region: 'eu', zone: 'eu-west-1a', subzone: '' });
  });

  it('env listed after a network source still spares the network when it names region and zone', async () => {
    const aws = await own(startFakeAws({ region: 'eu-west-1', zone: 'eu-west-1a', zoneId: 'euw1-az1' }));
    const report = await lookupTopology({
      env: {
        PROXIMA_TOPOLOGY_SOURCES: 'aws,env',
        AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url,
        PROXIMA_REGION: 'r',
        PROXIMA_ZONE: 'z',
      },
      topology: { cache: false },
    });
    expect(report.locality).toMatchObject({ region: 'r', zone: 'z' });
    expect(answerOf(report, 'aws')?.kind).toBe('skipped');
    expect(aws.requests).toEqual([]);
  });

  it('the listed order decides between two sources that both answer', async () => {
    const aws = await own(startFakeAws({ region: 'eu-west-1', zone: 'eu-west-1a', zoneId: 'euw1-az1' }));
    const gcp = await own(startFakeGcp({ project: '1', zone: 'us-east4-a' }));
    const env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url, GCE_METADATA_HOST: gcp.host };
    const gcpFirst = await lookupTopology({
      env: { ...env, PROXIMA_TOPOLOGY_SOURCES: 'gcp,aws' },
      topology: { cache: false },
    });
    expect(gcpFirst.locality.zone).toBe('us-east4-a');
    expect(gcpFirst.sources.map((s) => s.source)).toEqual(['gcp', 'aws']);
    const awsFirst = await lookupTopology({ env, topology: { cache: false, sources: ['aws', 'gcp'] } });
    expect(awsFirst.locality.zone).toBe('eu-west-1a');
  });

  it('the whole lookup ends within its budget when every source hangs', async () => {
    const hanging = await Promise.all([
      own(startFakeAws({ region: 'a', zone: 'a', zoneId: 'a' })),
      own(startFakeGcp({ project: '1', zone: 'x-y' })),
      own(startFakeAzure({ location: 'l', zone: '1' })),
    ]);
    for (const s of hanging) s.mode = 'hang';
    const [aws, gcp, azure] = hanging as [FakeMetadataServer, FakeMetadataServer, FakeMetadataServer];
    const report = await lookupTopology({
      env: {
        AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url,
        GCE_METADATA_HOST: gcp.host,
        PROXIMA_AZURE_METADATA_URL: azure.url,
      },
      topology: { cache: false, timeoutMs: 100 },
    });
    expect(report.known).toBe(false);
    for (const source of ['aws', 'gcp', 'azure']) {
      expect(answerOf(report, source)).toMatchObject({
        kind: 'failed',
        detail: expect.stringContaining('budget of 100 ms'),
      });
    }
  });

  it('PROXIMA_TOPOLOGY_TIMEOUT sets the budget, and a bad value names the variable', async () => {
    const aws = await own(startFakeAws({ region: 'a', zone: 'a', zoneId: 'a' }));
    aws.mode = 'hang';
    const report = await lookupTopology({
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url, PROXIMA_TOPOLOGY_TIMEOUT: '80ms' },
      topology: { cache: false },
    });
    expect(answerOf(report, 'aws')).toMatchObject({ detail: expect.stringContaining('budget of 80 ms') });
    await expect(lookupTopology({ env: { PROXIMA_TOPOLOGY_TIMEOUT: 'soon' } })).rejects.toMatchObject({
      field: 'PROXIMA_TOPOLOGY_TIMEOUT',
    });
  });

  it('cuts off an oversized answer instead of buffering it', async () => {
    const huge = createServer((_req, res) => {
      res.writeHead(200, { 'metadata-flavor': 'Google' });
      res.end('x'.repeat(MAX_METADATA_BYTES * 4));
    });
    await new Promise<void>((resolve) => huge.listen(0, '127.0.0.1', resolve));
    try {
      const report = await lookupTopology({
        env: { GCE_METADATA_HOST: `127.0.0.1:${(huge.address() as AddressInfo).port}` },
        topology: { cache: false },
      });
      expect(answerOf(report, 'gcp')).toMatchObject({
        kind: 'failed',
        detail: `answer larger than ${MAX_METADATA_BYTES} bytes`,
      });
    } finally {
      huge.closeAllConnections();
      await new Promise<void>((resolve) => huge.close(() => resolve()));
    }
  });

  it('caches network answers for the process', async () => {
    const gcp = await own(startFakeGcp({ project: '7', zone: 'asia-east1-b' }));
    const first = await lookupTopology({ env: { GCE_METADATA_HOST: gcp.host } });
    const second = await lookupTopology({ env: { GCE_METADATA_HOST: gcp.host }, role: 'client' });
    expect(second.locality).toEqual(first.locality);
    expect(gcp.requests).toHaveLength(1);
  });
});

describe('unknown is loud', () => {
  it('warns with what every source answered', async () => {
    const aws = await own(startFakeAws({ region: 'eu-west-1', zone: 'eu-west-1a', zoneId: 'euw1-az1' }));
    aws.mode = 'error';
    const report = await lookupTopology({
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url },
      topology: { cache: false },
    });
    const logger = recordingLogger();
    announceTopology(report, 'service', logger);
    const warnings = logger.messages('warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/zone unknown for this service/);
    expect(warnings[0]).toContain('env: empty, PROXIMA_REGION/ZONE and SERVICE_REGION/ZONE unset');
    expect(warnings[0]).toContain('aws: failed, token: HTTP 500');
    expect(warnings[0]).toContain('gcp: skipped, not enabled');
  });

  it('without a logger, emits a process warning once', async () => {
    const report = await lookupTopology({ env: { PROXIMA_REGION: 'loud-test' }, topology: { cache: false } });
    const seen: Error[] = [];
    const listener = (w: Error): void => void seen.push(w);
    process.on('warning', listener);
    try {
      announceTopology(report, 'client', undefined);
      announceTopology(report, 'client', undefined);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', listener);
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      code: 'PROXIMA_TOPOLOGY_UNKNOWN',
      message: expect.stringContaining('zone unknown for this caller (loud-test/?)'),
    });
  });
});
