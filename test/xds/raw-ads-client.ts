import {
  Client,
  type ClientDuplexStream,
  credentials,
  type ChannelCredentials,
  Metadata,
} from '@grpc/grpc-js';
import { loadXdsProtos, type XdsProtos } from '../../src/xds/protos.js';
import { ADS_METHOD_PATH, type DiscoveryRequest, type DiscoveryResponse } from '../../src/xds/wire.js';

export const protos: XdsProtos = loadXdsProtos();
const requestType = protos.type('envoy.service.discovery.v3.DiscoveryRequest');
const responseType = protos.type('envoy.service.discovery.v3.DiscoveryResponse');

/** Decodes one resource of a response by its type URL, as a client would. */
export function decodeResource(resource: { type_url: string; value: Uint8Array }): Record<string, unknown> {
  const type = protos.type(resource.type_url.slice(resource.type_url.lastIndexOf('/') + 1));
  return type.toObject(type.decode(resource.value), {
    defaults: false,
    enums: String,
    oneofs: true,
  }) as Record<string, unknown>;
}

/**
 * A bare ADS stream over grpc-js, for tests that play a client by hand: well-behaved, NACKing,
 * slow (never reading) or sending garbage bytes.
 */
export class RawAdsClient {
  readonly responses: DiscoveryResponse[] = [];
  readonly stream: ClientDuplexStream<Uint8Array, Buffer>;
  readonly ended: Promise<{ code: number; details: string }>;
  private readonly client: Client;
  private waiters: Array<() => void> = [];
  private readonly names = new Map<string, readonly string[]>();

  constructor(
    address: string,
    options: { creds?: ChannelCredentials; read?: boolean; metadata?: Metadata; ack?: boolean } = {},
  ) {
    this.client = new Client(address, options.creds ?? credentials.createInsecure());
    this.stream = this.client.makeBidiStreamRequest<Uint8Array, Buffer>(
      ADS_METHOD_PATH,
      (bytes) => Buffer.from(bytes),
      (bytes) => bytes,
      options.metadata ?? new Metadata(),
    );
    this.ended = new Promise((resolve) => {
      this.stream.on('status', (status: { code: number; details: string }) => resolve(status));
      this.stream.on('error', () => undefined);
    });
    if (options.read === false) this.stream.pause();
    this.stream.on('data', (bytes: Buffer) => {
      this.responses.push(
        responseType.toObject(responseType.decode(bytes), { defaults: true }) as DiscoveryResponse,
      );
      const last = this.responses.at(-1)!;
      // Like a real client: answer every response, quoting its nonce, with the names still wanted.
      if (options.ack === true)
        this.send({
          type_url: last.type_url,
          resource_names: this.names.get(last.type_url) ?? [],
          version_info: last.version_info,
          response_nonce: last.nonce,
        });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(request: Partial<DiscoveryRequest>): void {
    if (request.type_url !== undefined) this.names.set(request.type_url, request.resource_names ?? []);
    const full = { version_info: '', resource_names: [], response_nonce: '', type_url: '', ...request };
    this.stream.write(requestType.encode(requestType.fromObject(full)).finish());
  }

  sendBytes(bytes: Uint8Array): void {
    this.stream.write(bytes);
  }

  /** Waits for the `count`-th response (1-based) and returns it. */
  async response(count: number, timeoutMs = 10_000): Promise<DiscoveryResponse> {
    const deadline = Date.now() + timeoutMs;
    while (this.responses.length < count) {
      if (Date.now() > deadline)
        throw new Error(`no response #${count} within ${timeoutMs} ms (got ${this.responses.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.responses[count - 1]!;
  }

  close(): void {
    this.stream.cancel();
    this.client.close();
  }
}
