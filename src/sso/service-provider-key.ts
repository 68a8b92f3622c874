// @peculiar/x509's dependency injection container needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { loadOnDemand } from '../common/load-on-demand';

export type ServiceProviderKeyPair = { readonly privateKeyPem: string; readonly certificatePem: string };

const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;
// Identity providers check AuthnRequest signatures against the certificate they were given, not its
// dates; a long validity spares administrators a re-upload that would break sign-in when missed.
const VALIDITY_YEARS = 10;
const COMMON_NAME_MAX = 64;

// Imported when an organization's first key pair is made (docs/performance.md).
const loadX509 = loadOnDemand('The X.509 library (@peculiar/x509)', async () => {
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  return x509;
});

/** A fresh RSA-2048 key pair and a self-signed certificate for signing AuthnRequests and the metadata's KeyDescriptor. */
export async function generateServiceProviderKeyPair(hostname: string, now = new Date()): Promise<ServiceProviderKeyPair> {
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALIDITY_YEARS);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: [{ CN: [hostname.slice(0, COMMON_NAME_MAX)] }],
    notBefore: now,
    notAfter,
    keys,
    signingAlgorithm: ALGORITHM,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { privateKeyPem: toPem('PRIVATE KEY', pkcs8), certificatePem: certificate.toString('pem') };
}

export function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
