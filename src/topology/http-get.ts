import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** One metadata request: small, bounded in time and size. */
export interface MetadataRequest {
  readonly method?: 'GET' | 'PUT';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Aborts the request (the lookup's deadline, or the source's own timeout). */
  readonly signal: AbortSignal;
  /** PEM CA bundle for https (the Kubernetes service-account CA). */
  readonly ca?: string;
}

export interface MetadataResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * Metadata answers are a zone name or a small JSON document: anything bigger is garbage and is cut
 * off rather than buffered (a misdirected URL must not stream a large body into memory).
 */
export const MAX_METADATA_BYTES = 64 * 1024;

/**
 * A plain `node:http(s)` request for metadata services: no keep-alive agent (one lookup per
 * process), no redirects (metadata services do not redirect; following one could leave the link-local
 * address), the body cut at {@link MAX_METADATA_BYTES}. Rejects on abort, network error or an
 * oversized body with a one-line message fit for the lookup report.
 */
export function metadataRequest(req: MetadataRequest): Promise<MetadataResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      reject(new Error(`bad URL ${req.url}`));
      return;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const outgoing = send(
      url,
      {
        method: req.method ?? 'GET',
        headers: { ...req.headers, ...(req.method === 'PUT' ? { 'content-length': '0' } : {}) },
        agent: false,
        signal: req.signal,
        ...(req.ca === undefined ? {} : { ca: req.ca }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_METADATA_BYTES) {
            res.destroy();
            reject(new Error(`answer larger than ${MAX_METADATA_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', (error) => reject(error));
      },
    );
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (req.signal.aborted) reject(new Error('timed out'));
      else reject(new Error(error.code ?? error.message));
    });
    outgoing.end();
  });
}
