import { describe, expect, it } from 'vitest';
import { parseInstance } from '../../core/instance.js';
import { identityNames, identityOf, parseSubjectAltName } from './identity.js';

describe('peer certificate identity', () => {
  it("splits Node's subjectaltname, including JSON-quoted values that hold a comma", () => {
    // Node quotes a SAN value holding ", " (CVE-2021-44532): a comma cannot forge a second entry.
    const text =
      'DNS:a.example, URI:spiffe://prod/orders, IP Address:127.0.0.1, DNS:"evil, DNS:admin", email:x@y.z';
    expect(parseSubjectAltName(text)).toEqual([
      ['DNS', 'a.example'],
      ['URI', 'spiffe://prod/orders'],
      ['IP Address', '127.0.0.1'],
      ['DNS', 'evil, DNS:admin'],
      ['email', 'x@y.z'],
    ]);
    const identity = identityOf({ subject: { CN: 'orders' } as never, subjectaltname: text });
    expect(identity.dnsNames).toEqual(['a.example', 'evil, DNS:admin']);
    expect(identityNames(identity)).not.toContain('admin');
    expect(identityNames(identity)[0]).toBe('orders');
  });

  it('has an empty common name when the subject has none', () => {
    expect(identityOf({ subject: {} as never, subjectaltname: '' })).toEqual({
      commonName: '',
      dnsNames: [],
      uris: [],
      ipAddresses: [],
      emails: [],
    });
  });

  it('the registration flag proxima.tls is validated by the model', () => {
    const base = { service: 's', id: 'i', address: '127.0.0.1:1' };
    expect(parseInstance({ ...base, metadata: { 'proxima.tls': 'true' } }).metadata['proxima.tls']).toBe(
      'true',
    );
    expect(() => parseInstance({ ...base, metadata: { 'proxima.tls': 'yes' } })).toThrow(
      /instance\.metadata\.proxima\.tls: proxima\.tls must be "true" or "false"/,
    );
  });
});
