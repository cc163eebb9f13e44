import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './ports.js';

interface Pipe {
  readonly client: Socket;
  upstream: Socket | undefined;
}

/**
 * A loopback TCP proxy in front of one target, to simulate partitions: {@link pause} holds all
 * traffic in both directions without closing anything (a black hole, as a partition looks to TCP),
 * {@link resume} lets the held bytes through, {@link dropAll} resets every connection.
 *
 * @example
 * ```ts
 * await using proxy = await TcpProxy.start('127.0.0.1:2379');
 * proxy.pause();   // client calls now hang until their deadlines
 * proxy.resume();
 * ```
 */
export class TcpProxy implements AsyncDisposable {
  private readonly pipes = new Set<Pipe>();
  private paused = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  /** Listens on a free 127.0.0.1 port and forwards to `target` (`host:port`). */
  static async start(target: string): Promise<TcpProxy> {
    const [host, port] = target.split(':');
    if (host === undefined || port === undefined) throw new Error(`tcp-proxy: bad target ${target}`);
    const listenPort = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', () => resolve());
    });
    return new TcpProxy(server, listenPort, host, Number(port));
  }

  /** `127.0.0.1:port` of the proxy. */
  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Number of client connections currently open through the proxy. */
  get connections(): number {
    return this.pipes.size;
  }

  /** Holds all traffic: nothing is read on either side, nothing is closed; new connections wait. */
  pause(): void {
    this.paused = true;
    for (const pipe of this.pipes) {
      pipe.client.pause();
      pipe.upstream?.pause();
    }
  }

  /** Lets traffic (including what was held) flow again. */
  resume(): void {
    this.paused = false;
    for (const pipe of this.pipes) {
      if (pipe.upstream === undefined) this.connectUpstream(pipe);
      pipe.client.resume();
      pipe.upstream?.resume();
    }
  }

  /** Resets every open connection (new ones are still accepted). */
  dropAll(): void {
    for (const pipe of this.pipes) this.closePipe(pipe);
  }

  /** Stops listening and resets every connection. */
  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private accept(client: Socket): void {
    const pipe: Pipe = { client, upstream: undefined };
    this.pipes.add(pipe);
    client.on('error', () => this.closePipe(pipe));
    client.on('close', () => this.closePipe(pipe));
    if (this.paused) client.pause();
    else this.connectUpstream(pipe);
  }

  private connectUpstream(pipe: Pipe): void {
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
    pipe.upstream = upstream;
    upstream.on('error', () => this.closePipe(pipe));
    upstream.on('close', () => this.closePipe(pipe));
    this.forward(pipe.client, upstream);
    this.forward(upstream, pipe.client);
  }

  /** Copies bytes one way with backpressure; unlike `pipe()`, a drain never un-pauses a paused proxy. */
  private forward(from: Socket, to: Socket): void {
    from.on('data', (chunk) => {
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (!this.paused) from.resume();
    });
  }

  private closePipe(pipe: Pipe): void {
    if (!this.pipes.delete(pipe)) return;
    pipe.client.resetAndDestroy();
    pipe.upstream?.resetAndDestroy();
  }
}
