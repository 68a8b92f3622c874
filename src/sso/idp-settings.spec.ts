import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { IdpCertificate } from './idp-certificate';
import { expiryWarnings, isLoopbackHost, readIdpSettings } from './idp-settings';
import { generateServiceProviderKeyPair } from './service-provider-key';

describe('readIdpSettings', () => {
  let certificate: string;

  beforeAll(async () => {
    certificate = (await generateServiceProviderKeyPair('idp.example.com')).certificatePem;
  });

  it('accepts the three fields and reads the certificate', () => {
    const reading = readIdpSettings({
      idpEntityId: 'http://www.okta.com/exk1',
      idpSsoUrl: 'https://acme.okta.com/app/x/sso/saml',
      idpCertificate: certificate,
    });
    expect(reading.problems).toEqual([]);
    expect(reading.settings?.certificate.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('accepts the certificate as bare base64 too', () => {
    const bare = certificate.replace(/-----[A-Z ]+-----|\s/g, '');
    expect(readIdpSettings({ idpEntityId: 'e', idpSsoUrl: 'https://idp.example.com/sso', idpCertificate: bare }).settings).not.toBeNull();
  });

  it('lists every problem, not only the first', () => {
    const reading = readIdpSettings({ idpEntityId: 'a\u0000b', idpSsoUrl: 'http://idp.example.com/sso#x', idpCertificate: 'nope' });
    expect(reading.settings).toBeNull();
    expect(reading.problems).toHaveLength(4);
  });

  it('refuses an RSA key shorter than 2048 bits, and a key that is not RSA', async () => {
    const weak = await selfSigned({
      name: 'RSASSA-PKCS1-v1_5',
      hash: 'SHA-256',
      publicExponent: new Uint8Array([1, 0, 1]),
      modulusLength: 1024,
    });
    expect(readIdpSettings({ idpEntityId: 'e', idpSsoUrl: 'https://idp.example.com/sso', idpCertificate: weak }).problems).toEqual([
      'idpCertificate holds a 1024-bit RSA key: at least 2048 bits are required.',
    ]);
    const elliptic = await selfSigned({ name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' });
    expect(readIdpSettings({ idpEntityId: 'e', idpSsoUrl: 'https://idp.example.com/sso', idpCertificate: elliptic }).problems[0]).toContain(
      'holds a key of type ec: SAML responses are verified with RSA keys only',
    );
  });

  it('knows this machine: localhost, *.localhost and 127.0.0.0/8, nothing else', () => {
    expect(['localhost', 'idp.localhost', 'IDP.LOCALHOST.', '127.0.0.1', '127.1.2.3', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(['localhost.example.com', 'example.com', '10.0.0.1', '128.0.0.1', 'mylocalhost'].some(isLoopbackHost)).toBe(false);
  });

  it('warns within 30 days of expiry and after it, not before', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const expiring = (days: number): IdpCertificate => ({
      pem: '',
      fingerprint: '',
      notAfter: new Date(now.getTime() + days * 86_400_000),
    });
    expect(expiryWarnings(expiring(31), now)).toEqual([]);
    expect(expiryWarnings(expiring(30), now)[0]).toContain('in 30 days');
    expect(expiryWarnings(expiring(1), now)[0]).toContain('in 1 day)');
    expect(expiryWarnings(expiring(-2), now)[0]).toContain('expired on');
  });
});

async function selfSigned(algorithm: RsaHashedKeyGenParams | EcKeyGenParams): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=test',
    notBefore: new Date(),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: algorithm,
  });
  return certificate.toString('pem');
}
