import { IdpCertificate, readIdpCertificate } from './idp-certificate';
import { readIdpMetadata } from './idp-metadata';

/** The identity provider this organization trusts. */
export type IdpSettings = { readonly entityId: string; readonly ssoUrl: string; readonly certificate: IdpCertificate };

export type IdpSettingsInput = {
  idpMetadataXml?: string;
  idpEntityId?: string;
  idpSsoUrl?: string;
  idpCertificate?: string;
};

export type IdpSettingsReading = { settings: IdpSettings | null; problems: string[]; warnings: string[] };

const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;
const MAX_ENTITY_ID_LENGTH = 1024;
const MAX_URL_LENGTH = 2048;
const CONTROL_CHARACTERS = /\p{Cc}/u;

/**
 * Validates what an administrator sent: either metadata or the three fields. Every problem is
 * listed (never only the first), and a certificate expiring within 30 days is a warning.
 */
export function readIdpSettings(input: IdpSettingsInput, now = new Date()): IdpSettingsReading {
  const fields = { idpEntityId: input.idpEntityId, idpSsoUrl: input.idpSsoUrl, idpCertificate: input.idpCertificate };
  const given = Object.entries(fields).filter(([, value]) => value !== undefined);
  const problems: string[] = [];
  let entityId: string | null | undefined;
  let ssoUrl: string | null | undefined;
  let certificateText: string | null | undefined;
  if (input.idpMetadataXml !== undefined) {
    if (given.length > 0) {
      return {
        settings: null,
        problems: [
          `Send either idpMetadataXml or idpEntityId, idpSsoUrl and idpCertificate, not both (got idpMetadataXml and ${given.map(([name]) => name).join(', ')}).`,
        ],
        warnings: [],
      };
    }
    const metadata = readIdpMetadata(input.idpMetadataXml);
    problems.push(...metadata.problems);
    ({ entityId, ssoUrl, certificate: certificateText } = metadata);
  } else {
    if (given.length === 0) {
      return {
        settings: null,
        problems: ['Send idpMetadataXml (the identity provider metadata), or idpEntityId, idpSsoUrl and idpCertificate.'],
        warnings: [],
      };
    }
    for (const [name, value] of Object.entries(fields)) {
      if (value === undefined || value.trim() === '') {
        problems.push(`${name} is required when idpMetadataXml is not sent.`);
      }
    }
    entityId = input.idpEntityId?.trim() || null;
    ssoUrl = input.idpSsoUrl?.trim() || null;
    certificateText = input.idpCertificate?.trim() || null;
  }
  const source = input.idpMetadataXml !== undefined ? 'the metadata' : null;
  if (entityId) {
    problems.push(...entityIdProblems(entityId, source ?? 'idpEntityId'));
  }
  if (ssoUrl) {
    problems.push(...ssoUrlProblems(ssoUrl, source ? `the metadata's SingleSignOnService Location` : 'idpSsoUrl'));
  }
  const certificate = certificateText
    ? readIdpCertificate(certificateText, source ? `the metadata's signing certificate` : 'idpCertificate')
    : null;
  if (typeof certificate === 'string') {
    problems.push(certificate);
  }
  if (problems.length > 0 || !entityId || !ssoUrl || !certificate || typeof certificate === 'string') {
    return { settings: null, problems, warnings: [] };
  }
  return { settings: { entityId, ssoUrl, certificate }, problems: [], warnings: expiryWarnings(certificate, now) };
}

function entityIdProblems(entityId: string, field: string): string[] {
  if (entityId.length > MAX_ENTITY_ID_LENGTH) {
    return [`${field}: the entity id is longer than ${MAX_ENTITY_ID_LENGTH} characters.`];
  }
  return CONTROL_CHARACTERS.test(entityId) ? [`${field}: the entity id contains control characters.`] : [];
}

/** https, except on this machine (loopback addresses, localhost and *.localhost), where http is accepted. */
function ssoUrlProblems(text: string, field: string): string[] {
  if (text.length > MAX_URL_LENGTH) {
    return [`${field} is longer than ${MAX_URL_LENGTH} characters.`];
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [`${field} must be an absolute URL such as https://example.okta.com/app/…/sso/saml.`];
  }
  const problems: string[] = [];
  if (url.protocol === 'http:' ? !isLoopbackHost(url.hostname) : url.protocol !== 'https:') {
    problems.push(`${field} must be an https URL (http is accepted only for localhost, *.localhost and loopback addresses).`);
  }
  if (url.username || url.password) {
    problems.push(`${field} must not contain a user name or password.`);
  }
  if (url.hash) {
    problems.push(`${field} must not contain a fragment (#…).`);
  }
  return problems;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(host) || host === '[::1]';
}

/** What an administrator should hear about the certificate's expiry: within 30 days, or past. */
export function expiryWarnings(certificate: IdpCertificate, now = new Date()): string[] {
  const days = Math.floor((certificate.notAfter.getTime() - now.getTime()) / DAY_MS);
  const on = certificate.notAfter.toISOString();
  if (days < 0) {
    return [`The identity provider's certificate expired on ${on}: replace it with the identity provider's current signing certificate.`];
  }
  if (days <= EXPIRY_WARNING_DAYS) {
    return [
      `The identity provider's certificate expires on ${on} (in ${days} day${days === 1 ? '' : 's'}): when the identity provider signs with its new certificate, configure that one here, or sign-in stops.`,
    ];
  }
  return [];
}
