import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real `node:http` server of the `who` service. Paths:
 * - `GET|POST /who`: 200 `{ id, body }` (the request body echoed);
 * - `/fail`: 503 when `failing`, else 200;
 * - `/crash`: the connection is destroyed before any answer when `crashing`, else 200;
 * - `/slow`: answers after `slowMs`.
 */
export interface WhoHttp {
  readonly id: string;
  readonly address: string;
  /** Requests received, by path. */
  readonly hits: Map<string, number>;
  failing: boolean;
  crashing: boolean;
  slowMs: number;
  close(): Promise<void>;
}

export async function startWhoHttp(id: string): Promise<WhoHttp> {
  const hits = new Map<string, number>();
  const state = { failing: false, crashing: false, slowMs: 0 };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (path === '/crash' && state.crashing) {
        req.socket.destroy();
        return;
      }
      const status = path === '/fail' && state.failing ? 503 : 200;
      const answer = (): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-instance': id });
        res.end(JSON.stringify({ id, body: Buffer.concat(chunks).toString() }));
      };
      if (path === '/slow') setTimeout(answer, state.slowMs).unref();
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return Object.assign(state, {
    id,
    address: `127.0.0.1:${port}`,
    hits,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  });
}
