import { isUtf8 } from 'node:buffer';
import { SAML, SamlStatusError, ValidateInResponseTo } from '@node-saml/node-saml';
import {
  attributeOf,
  childElements,
  containsComment,
  descendantElements,
  parseSamlXml,
  SAML_ASSERTION_NS,
  SAML_PROTOCOL_NS,
  UnreadableXmlError,
  XMLDSIG_NS,
} from './saml-xml';
import { ServiceProviderUrls } from './service-provider-urls';
import { IdpConfiguration } from './sso-configuration.repository';
import { SsoFailure, SsoFailureReason } from './sso-failure';

/** What a valid response establishes, read only from the signed assertion. */
export type ValidatedAssertion = {
  readonly assertionId: string;
  readonly nameId: string;
  /** The signed SubjectConfirmationData@InResponseTo: null for an unsolicited (IdP-initiated) response. */
  readonly inResponseTo: string | null;
  /** Until when the assertion could be accepted: its id is remembered at least this long. */
  readonly acceptableUntil: Date;
};

export type ValidationContext = {
  readonly idp: IdpConfiguration;
  readonly sp: ServiceProviderUrls;
  readonly clockSkewMs: number;
  readonly allowSha1: boolean;
  readonly now?: Date;
};

// An Okta response is a few kilobytes; the limit leaves room for large certificate chains and attributes.
const MAX_ENCODED_LENGTH = 512 * 1024;
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const ACCEPTED_NAME_ID_FORMATS = new Set([
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
]);
const SHA1_ALGORITHMS = new Set(['http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2000/09/xmldsig#sha1']);

/**
 * Validates a posted SAMLResponse for one organization. The XML signature, the time conditions
 * and the audience are checked by @node-saml/node-saml, which reads only what the signature covers;
 * around it, the rules it leaves to its caller: SHA-1 refused, comments in a NameID refused, issuer,
 * Destination, bearer Recipient and its times, the NameID format, and where InResponseTo may come
 * from. Throws SsoFailure with the reason; never returns anything that was not signed.
 */
export async function validateSamlResponse(encoded: unknown, context: ValidationContext): Promise<ValidatedAssertion> {
  const now = context.now ?? new Date();
  const base64 = typeof encoded === 'string' ? encoded.replace(/\s+/g, '') : '';
  if (base64 === '' || base64.length > MAX_ENCODED_LENGTH || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    throw new SsoFailure('malformed_response');
  }
  const bytes = Buffer.from(base64, 'base64');
  if (!isUtf8(bytes)) {
    throw new SsoFailure('malformed_response');
  }
  const document = readDocument(bytes.toString('utf8'));
  const response = document.documentElement;
  if (response.namespaceURI !== SAML_PROTOCOL_NS || response.localName !== 'Response') {
    throw new SsoFailure('malformed_response');
  }
  // node-saml reads the status only when there is no assertion: a failure status with one is still a failure.
  const status = childElements(response, SAML_PROTOCOL_NS, 'Status')[0];
  const statusCode = status ? childElements(status, SAML_PROTOCOL_NS, 'StatusCode')[0] : undefined;
  if (!statusCode) {
    throw new SsoFailure('malformed_response');
  }
  if (attributeOf(statusCode, 'Value') !== SUCCESS) {
    throw new SsoFailure('idp_error');
  }
  // Canonicalization drops comments, so a comment splits a NameID without breaking its signature.
  // In any namespace: the library finds elements by local name.
  if (descendantElements(document, '*', 'NameID').some(containsComment)) {
    throw new SsoFailure('malformed_response');
  }
  const assertion = await verifiedAssertion(base64, context);
  refuseSha1(document, context.allowSha1);
  if (attributeOf(response, 'Destination') !== context.sp.acsUrl) {
    throw new SsoFailure('destination_mismatch');
  }
  const responseIssuer = childElements(response, SAML_ASSERTION_NS, 'Issuer')[0]?.textContent?.trim();
  if (textOf(assertion.Issuer) !== context.idp.entityId || (responseIssuer !== undefined && responseIssuer !== context.idp.entityId)) {
    throw new SsoFailure('issuer_mismatch');
  }
  const assertionId = assertion.$?.ID;
  if (!assertionId) {
    throw new SsoFailure('malformed_response');
  }
  const subject = single(assertion.Subject);
  const nameId = single(children(subject, 'NameID'));
  const nameIdValue = textOf(children(subject, 'NameID'))?.trim();
  if (!nameId || !nameIdValue) {
    throw new SsoFailure('malformed_response');
  }
  const format = nameId.$?.Format;
  if (format !== undefined && !ACCEPTED_NAME_ID_FORMATS.has(format)) {
    throw new SsoFailure('nameid_format_unsupported');
  }
  const confirmation = bearerConfirmation(children(subject, 'SubjectConfirmation'), context, now);
  const inResponseTo = confirmation.InResponseTo ?? null;
  // An unsigned Response@InResponseTo must not make an unsolicited assertion look solicited.
  const claimed = attributeOf(response, 'InResponseTo');
  if (claimed !== null && claimed !== inResponseTo) {
    throw new SsoFailure('in_response_to_invalid');
  }
  const conditionsEnd = dateOf(single(assertion.Conditions)?.$?.NotOnOrAfter);
  const confirmationEnd = dateOf(confirmation.NotOnOrAfter) as Date;
  const latest = Math.max(confirmationEnd.getTime(), conditionsEnd?.getTime() ?? 0);
  return { assertionId, nameId: nameIdValue, inResponseTo, acceptableUntil: new Date(latest + context.clockSkewMs) };
}

function readDocument(xml: string): Document {
  try {
    return parseSamlXml(xml);
  } catch (error) {
    if (error instanceof UnreadableXmlError) {
      throw new SsoFailure('malformed_response');
    }
    throw error;
  }
}

/** An element as xml2js (inside node-saml) parses it: text in `_`, attributes in `$`, children by name. */
type XmlNode = { _?: unknown; $?: Record<string, string | undefined> };
type ParsedAssertion = XmlNode & { Issuer?: XmlNode[]; Subject?: XmlNode[]; Conditions?: XmlNode[] };

function children(node: XmlNode | undefined, name: string): XmlNode[] | undefined {
  const value = (node as Record<string, unknown> | undefined)?.[name];
  return Array.isArray(value) ? (value as XmlNode[]) : undefined;
}

/** node-saml checks Conditions against its own clock (the bearer times below use `now`). */
async function verifiedAssertion(base64: string, { idp, sp, clockSkewMs }: ValidationContext): Promise<ParsedAssertion> {
  const saml = new SAML({
    callbackUrl: sp.acsUrl,
    issuer: sp.entityId,
    audience: sp.entityId,
    idpCert: idp.certificatePem,
    // Either the Response or the Assertion must carry a valid signature; node-saml then reads the signed part only.
    wantAuthnResponseSigned: false,
    wantAssertionsSigned: false,
    acceptedClockSkewMs: clockSkewMs,
    // InResponseTo is checked around the library: single use, bound to the organization.
    validateInResponseTo: ValidateInResponseTo.never,
  });
  let profile: Awaited<ReturnType<SAML['validatePostResponseAsync']>>['profile'];
  try {
    ({ profile } = await saml.validatePostResponseAsync({ SAMLResponse: base64 }));
  } catch (error) {
    throw new SsoFailure(reasonOfLibraryError(error));
  }
  const parsed = profile?.getAssertion?.() as { Assertion?: ParsedAssertion } | undefined;
  if (!parsed?.Assertion) {
    throw new SsoFailure('malformed_response');
  }
  return parsed.Assertion;
}

/** node-saml reports failures as messages; each maps to a stable reason (tests pin every mapping). */
export function reasonOfLibraryError(error: unknown): SsoFailureReason {
  if (error instanceof SamlStatusError) {
    return 'idp_error';
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/not yet valid/i.test(message)) {
    return 'not_yet_valid';
  }
  if (/expired/i.test(message)) {
    return 'expired';
  }
  if (/audience/i.test(message)) {
    return 'audience_mismatch';
  }
  if (/decrypt|encrypted/i.test(message)) {
    return 'malformed_response';
  }
  if (/signature|signed|ID cannot refer|Referenced node|transforms|multiple assertions/i.test(message)) {
    return 'signature_invalid';
  }
  if (error instanceof TypeError || /missing|not a valid xml|unknown saml|xpath|unable to process/i.test(message)) {
    return 'malformed_response';
  }
  return 'invalid_response';
}

function refuseSha1(document: Document, allowSha1: boolean): void {
  if (allowSha1) {
    return;
  }
  for (const signature of descendantElements(document, XMLDSIG_NS, 'Signature')) {
    const algorithms = [
      ...descendantElements(signature, XMLDSIG_NS, 'SignatureMethod'),
      ...descendantElements(signature, XMLDSIG_NS, 'DigestMethod'),
    ].map((element) => attributeOf(element, 'Algorithm'));
    if (algorithms.some((algorithm) => algorithm !== null && SHA1_ALGORITHMS.has(algorithm))) {
      throw new SsoFailure('weak_signature_algorithm');
    }
  }
}

type ConfirmationData = { Recipient?: string; NotOnOrAfter?: string; NotBefore?: string; InResponseTo?: string };

/** The bearer SubjectConfirmation addressed to this ACS, valid now (SAML Web SSO profile §4.1.4.2). */
function bearerConfirmation(confirmations: XmlNode[] | undefined, { sp, clockSkewMs }: ValidationContext, now: Date): ConfirmationData {
  const bearers = (confirmations ?? []).filter((confirmation) => confirmation.$?.Method === BEARER);
  if (bearers.length === 0) {
    throw new SsoFailure('malformed_response');
  }
  const addressed = bearers
    .map((bearer) => (single(children(bearer, 'SubjectConfirmationData'))?.$ ?? {}) as ConfirmationData)
    .filter((data) => data.Recipient === sp.acsUrl);
  if (addressed.length === 0) {
    throw new SsoFailure('recipient_mismatch');
  }
  let reason: SsoFailureReason = 'malformed_response';
  for (const data of addressed) {
    const notOnOrAfter = dateOf(data.NotOnOrAfter);
    const notBefore = dateOf(data.NotBefore);
    if (!notOnOrAfter || (data.NotBefore !== undefined && !notBefore)) {
      continue;
    }
    if (now.getTime() - clockSkewMs >= notOnOrAfter.getTime()) {
      reason = 'expired';
    } else if (notBefore && now.getTime() + clockSkewMs < notBefore.getTime()) {
      reason = 'not_yet_valid';
    } else {
      return data;
    }
  }
  throw new SsoFailure(reason);
}

function single(nodes: XmlNode[] | undefined): XmlNode | undefined {
  return nodes?.length === 1 ? nodes[0] : undefined;
}

function textOf(nodes: XmlNode[] | undefined): string | undefined {
  const node = single(nodes);
  return typeof node?._ === 'string' ? node._ : undefined;
}

function dateOf(value: string | undefined): Date | null {
  if (value === undefined || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    return null;
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
