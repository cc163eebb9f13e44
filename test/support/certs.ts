import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** File paths of a throwaway PKI made at test time (never committed). */
export interface TestCertificates {
  readonly dir: string;
  /** The CA certificate (PEM). */
  readonly ca: string;
  /** Server certificate for 127.0.0.1 / localhost / ::1 (also usable as a client certificate). */
  readonly serverCert: string;
  readonly serverKey: string;
  /** Client certificate, subject CN = `clientName`, SAN URI `spiffe://proxima/<clientName>`. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** A second CA and a client certificate it signed: valid PEM, but untrusted by `ca`. */
  readonly otherCa: string;
  readonly otherClientCert: string;
  readonly otherClientKey: string;
  remove(): Promise<void>;
}

/**
 * A throwaway CA, a server certificate for loopback and client certificates, made with Debian's
 * openssl (installed by `scripts/test.sh`). EC P-256 keys, valid for one day.
 */
export async function makeTestCertificates(options: { clientName?: string } = {}): Promise<TestCertificates> {
  const clientName = options.clientName ?? 'app';
  const dir = await mkdtemp(join(tmpdir(), 'proxima-certs-'));
  const file = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): Promise<unknown> => run('openssl', args, { timeout: 30_000 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'other-ca']) {
    await openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      file(`${ca}.key`),
      '-out',
      file(`${ca}.pem`),
      '-days',
      '1',
      '-subj',
      `/CN=proxima-test-${ca}`,
    );
  }
  const leaves = [
    [
      'server',
      'ca',
      '127.0.0.1',
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n',
    ],
    [
      'client',
      'ca',
      clientName,
      `subjectAltName=URI:spiffe://proxima/${clientName}\nextendedKeyUsage=clientAuth\n`,
    ],
    ['other-client', 'other-ca', clientName, 'extendedKeyUsage=clientAuth\n'],
  ] as const;
  for (const [name, ca, cn, ext] of leaves) {
    await writeFile(file(`${name}.ext`), ext);
    await openssl(
      'req',
      ...ec,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.csr`),
      '-subj',
      `/CN=${cn}`,
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file(`${ca}.pem`),
      '-CAkey',
      file(`${ca}.key`),
      '-CAcreateserial',
      '-out',
      file(`${name}.pem`),
      '-days',
      '1',
      '-extfile',
      file(`${name}.ext`),
    );
  }
  return {
    dir,
    ca: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
    otherCa: file('other-ca.pem'),
    otherClientCert: file('other-client.pem'),
    otherClientKey: file('other-client.key'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
