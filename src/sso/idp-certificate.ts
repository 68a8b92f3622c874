import { X509Certificate } from 'node:crypto';
import { toPem } from './service-provider-key';

export type IdpCertificate = {
  readonly pem: string;
  /** SHA-256 of the DER, colon-separated upper-case hex, as identity providers display it. */
  readonly fingerprint: string;
  readonly notAfter: Date;
};

const MIN_RSA_BITS = 2048;
const PEM_ARMOUR = /-----(BEGIN|END) CERTIFICATE-----/g;

/**
 * Reads a certificate given as PEM or as the bare base64 of its DER (as metadata carries it).
 * Returns the problem with it as a sentence, or the certificate in a canonical PEM.
 */
export function readIdpCertificate(text: string, field: string): IdpCertificate | string {
  const base64 = text.replace(PEM_ARMOUR, '').replace(/\s+/g, '');
  if (base64 === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    return `${field} must be an X.509 certificate in PEM (-----BEGIN CERTIFICATE----- …) or base64.`;
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(Buffer.from(base64, 'base64'));
  } catch {
    return `${field} is not a readable X.509 certificate: copy the identity provider's signing certificate again, whole.`;
  }
  const key = certificate.publicKey;
  if (key.asymmetricKeyType !== 'rsa') {
    return `${field} holds a key of type ${key.asymmetricKeyType ?? 'unknown'}: SAML responses are verified with RSA keys only (RSA-SHA256 or stronger).`;
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    return `${field} holds a ${bits}-bit RSA key: at least ${MIN_RSA_BITS} bits are required.`;
  }
  return {
    pem: toPem('CERTIFICATE', Buffer.from(certificate.raw)),
    fingerprint: certificate.fingerprint256,
    notAfter: new Date(certificate.validTo),
  };
}
