import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * Fakes of the metadata services, on loopback only, that answer as the real ones do — and refuse
 * as the real ones do when a request has the wrong shape (IMDSv2 without its token, GCE without
 * `Metadata-Flavor`, Azure without `Metadata: true` or `api-version`, the API server without the
 * bearer token), so a test passing against them proves the request shape.
 */
export type FakeMode = 'ok' | 'garbage' | 'hang' | 'error';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface FakeMetadataServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` (https for the Kubernetes API). */
  readonly url: string;
  /** `127.0.0.1:PORT`, as `GCE_METADATA_HOST` takes it. */
  readonly host: string;
  readonly requests: readonly RecordedRequest[];
  /** How it answers from now on. */
  mode: FakeMode;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, mode: FakeMode) => void;

async function serve(handler: Handler, tls?: { key: string; cert: string }): Promise<FakeMetadataServer> {
  const requests: RecordedRequest[] = [];
  let mode: FakeMode = 'ok';
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } });
    req.resume();
    if (mode === 'hang') return; // never answers; close() ends the socket
    if (mode === 'error') {
      res.writeHead(500).end('internal error');
      return;
    }
    handler(req, res, mode);
  };
  const server: Server = tls ? createHttpsServer(tls, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    get mode() {
      return mode;
    },
    set mode(m: FakeMode) {
      mode = m;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

const text = (
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void => {
  res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body);
};

/** AWS IMDSv2: token by PUT with a TTL header, placement paths only with that token. */
export function startFakeAws(place: {
  region: string;
  zone: string;
  zoneId: string;
}): Promise<FakeMetadataServer> {
  const TOKEN = 'AQAEAFakeImdsV2Token==';
  return serve((req, res, mode) => {
    if (req.url === '/latest/api/token') {
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (req.method !== 'PUT') return text(res, 405, '');
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21_600) return text(res, 400, '');
      return text(res, 200, TOKEN, { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
    }
    if (req.headers['x-aws-ec2-metadata-token'] !== TOKEN) return text(res, 401, '');
    if (req.method !== 'GET') return text(res, 405, '');
    const answers: Record<string, string> = {
      '/latest/meta-data/placement/region': place.region,
      '/latest/meta-data/placement/availability-zone': mode === 'garbage' ? '<html>login</html>' : place.zone,
      '/latest/meta-data/placement/availability-zone-id': place.zoneId,
    };
    const answer = answers[req.url ?? ''];
    if (answer === undefined) return text(res, 404, 'Not Found');
    return text(res, 200, answer);
  });
}

/** GCE: `Metadata-Flavor: Google` required on the way in and sent on the way out. */
export function startFakeGcp(place: { project: string; zone: string }): Promise<FakeMetadataServer> {
  return serve((req, res, mode) => {
    if (req.headers['metadata-flavor'] !== 'Google')
      return text(res, 403, 'Missing Metadata-Flavor:Google header');
    if (req.method !== 'GET' || req.url !== '/computeMetadata/v1/instance/zone')
      return text(res, 404, 'Not Found');
    const body = mode === 'garbage' ? 'zone: somewhere' : `projects/${place.project}/zones/${place.zone}`;
    return text(res, 200, body, { 'metadata-flavor': 'Google' });
  });
}

/** Azure IMDS: `Metadata: true` and an `api-version` required. */
export function startFakeAzure(place: { location: string; zone: string }): Promise<FakeMetadataServer> {
  return serve((req, res, mode) => {
    const url = new URL(req.url ?? '/', 'http://imds');
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    };
    if (req.headers.metadata !== 'true')
      return json(400, { error: 'Bad request. Required metadata header not specified' });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(url.searchParams.get('api-version') ?? ''))
      return json(400, { error: 'Bad request. api-version was not specified in the request' });
    if (req.method !== 'GET' || url.pathname !== '/metadata/instance/compute')
      return json(404, { error: 'Not found' });
    if (mode === 'garbage') return text(res, 200, '{"location": ');
    return json(200, { location: place.location, zone: place.zone, vmSize: 'Standard_D2s_v5', name: 'vm-1' });
  });
}

/** The Kubernetes API server's `GET /api/v1/nodes/NAME`, over TLS, behind a bearer token. */
export function startFakeKubernetes(options: {
  readonly token: string;
  readonly nodes: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly tls: { readonly key: string; readonly cert: string };
}): Promise<FakeMetadataServer> {
  return serve(
    (req, res, mode) => {
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      const status = (code: number, reason: string, message: string): void =>
        json(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
      if (req.headers.authorization !== `Bearer ${options.token}`)
        return status(401, 'Unauthorized', 'Unauthorized');
      const match = /^\/api\/v1\/nodes\/([^/?]+)$/.exec(req.url ?? '');
      if (req.method !== 'GET' || match === null)
        return status(403, 'Forbidden', `forbidden: cannot ${req.method} ${req.url}`);
      const name = decodeURIComponent(match[1] as string);
      const labels = options.nodes[name];
      if (labels === undefined) return status(404, 'NotFound', `nodes "${name}" not found`);
      if (mode === 'garbage') return text(res, 200, 'not json');
      return json(200, { kind: 'Node', apiVersion: 'v1', metadata: { name, labels } });
    },
    { key: options.tls.key, cert: options.tls.cert },
  );
}
