import type { PeerCertificate, TLSSocket } from 'node:tls';

/**
 * The verified certificate identity of a TLS peer: subject common name and subject alternative
 * names. Present on `ctx.peer.identity` only when the client sent a certificate that the server's
 * CA verified.
 */
export interface PeerIdentity {
  /** Subject CN ('' when the subject has none). */
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  /** URI SANs, e.g. SPIFFE ids (`spiffe://example.org/ns/prod/sa/orders`). */
  readonly uris: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly emails: readonly string[];
}

/** Every name of an identity (CN and SANs), for matching against an allow list. */
export function identityNames(identity: PeerIdentity): string[] {
  const names = [...identity.dnsNames, ...identity.uris, ...identity.ipAddresses, ...identity.emails];
  if (identity.commonName !== '') names.unshift(identity.commonName);
  return names;
}

/**
 * The identity of an authorized TLS peer, or undefined when it sent no certificate or the
 * certificate was not verified.
 */
export function peerIdentity(socket: TLSSocket): PeerIdentity | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (cert === null || typeof cert !== 'object' || Object.keys(cert).length === 0) return undefined;
  return identityOf(cert);
}

/** CN and SANs of a peer certificate as Node presents it. */
export function identityOf(cert: Pick<PeerCertificate, 'subject' | 'subjectaltname'>): PeerIdentity {
  const cn: unknown = cert.subject?.CN;
  const commonName = typeof cn === 'string' ? cn : Array.isArray(cn) ? String(cn[0] ?? '') : '';
  const identity = {
    commonName,
    dnsNames: [] as string[],
    uris: [] as string[],
    ipAddresses: [] as string[],
    emails: [] as string[],
  };
  for (const [kind, value] of parseSubjectAltName(cert.subjectaltname ?? '')) {
    if (kind === 'DNS') identity.dnsNames.push(value);
    else if (kind === 'URI') identity.uris.push(value);
    else if (kind === 'IP Address') identity.ipAddresses.push(value);
    else if (kind === 'email') identity.emails.push(value);
  }
  return identity;
}

/**
 * Splits Node's `subjectaltname` string (`DNS:a, URI:spiffe://x, IP Address:127.0.0.1`). Node
 * writes a value holding a comma, quote or other special character as a JSON string
 * (`DNS:"a,b"`), so a comma inside a name cannot forge a second entry.
 */
export function parseSubjectAltName(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const kind = text.slice(i, colon);
    let j = colon + 1;
    let value: string;
    if (text[j] === '"') {
      let k = j + 1;
      while (k < text.length && text[k] !== '"') k += text[k] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(text.slice(j, k + 1)) as string;
      } catch {
        break; // not the format Node writes: keep what was read
      }
      j = k + 1;
    } else {
      const comma = text.indexOf(', ', j);
      const end = comma < 0 ? text.length : comma;
      value = text.slice(j, end);
      j = end;
    }
    out.push([kind, value]);
    i = text.startsWith(', ', j) ? j + 2 : j;
  }
  return out;
}
