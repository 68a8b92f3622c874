import { randomBytes } from 'node:crypto';
import * as samlify from 'samlify';
import { generateServiceProviderKeyPair } from '../../src/sso/service-provider-key';

// This IdP produces messages and checks our AuthnRequest signatures; XML schema validation of what
// it parses is not what these tests are about (and samlify's validators need Java or WASM).
samlify.setSchemaValidator({ validate: () => Promise.resolve('skipped') });

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
export const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const ALGORITHMS = {
  sha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  sha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  sha512: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
} as const;

export type ServiceProviderSide = { entityId: string; acsUrl: string };

export type ResponseOptions = {
  nameId: string;
  /** SP-initiated: the AuthnRequest id this answers (in the signed SubjectConfirmationData and on the Response). */
  inResponseTo?: string;
  sign?: 'assertion' | 'response' | 'both';
  algorithm?: keyof typeof ALGORITHMS;
  audience?: string;
  recipient?: string;
  destination?: string;
  issuer?: string;
  nameIdFormat?: string;
  assertionId?: string;
  statusCode?: string;
  notBefore?: Date;
  notOnOrAfter?: Date;
  subjectNotOnOrAfter?: Date;
};

/** A real SAML identity provider (samlify) with its own key pair, issuing signed responses as Okta would. */
export class TestIdentityProvider {
  private constructor(
    readonly entityId: string,
    readonly ssoUrl: string,
    readonly certificatePem: string,
    private readonly privateKeyPem: string,
  ) {}

  /** `port`: where a browser reaches its sign-in page (test/support/browser-idp.ts serves it there). */
  static async create(name = 'idp', port?: number): Promise<TestIdentityProvider> {
    const hostname = `${name}-${randomBytes(3).toString('hex')}.idp.localhost`;
    const keys = await generateServiceProviderKeyPair(hostname);
    const origin = port === undefined ? `http://${hostname}` : `http://${hostname}:${port}`;
    return new TestIdentityProvider(`http://${hostname}/saml`, `${origin}/sso/saml`, keys.certificatePem, keys.privateKeyPem);
  }

  /** The IdP's metadata XML, as an Okta administrator would download it. */
  metadataXml(): string {
    return this.identityProvider('sha256').getMetadata();
  }

  /** A base64 SAMLResponse for `sp`, signed as asked, with every value under the test's control. */
  async response(sp: ServiceProviderSide, options: ResponseOptions): Promise<string> {
    const now = new Date();
    const later = new Date(now.getTime() + 5 * 60_000);
    const sign = options.sign ?? 'assertion';
    const serviceProvider = samlify.ServiceProvider({
      entityID: sp.entityId,
      assertionConsumerService: [{ Binding: POST, Location: sp.acsUrl }],
      wantAssertionsSigned: sign !== 'response',
      wantMessageSigned: sign !== 'assertion',
    });
    const values = {
      ID: `_r${randomBytes(16).toString('hex')}`,
      AssertionID: options.assertionId ?? `_a${randomBytes(16).toString('hex')}`,
      Destination: options.destination ?? sp.acsUrl,
      Audience: options.audience ?? sp.entityId,
      SubjectRecipient: options.recipient ?? sp.acsUrl,
      Issuer: options.issuer ?? this.entityId,
      IssueInstant: now.toISOString(),
      StatusCode: options.statusCode ?? SUCCESS,
      ConditionsNotBefore: (options.notBefore ?? now).toISOString(),
      ConditionsNotOnOrAfter: (options.notOnOrAfter ?? later).toISOString(),
      SubjectConfirmationDataNotOnOrAfter: (options.subjectNotOnOrAfter ?? options.notOnOrAfter ?? later).toISOString(),
      NameIDFormat: options.nameIdFormat ?? EMAIL_FORMAT,
      NameID: options.nameId,
      InResponseTo: options.inResponseTo ?? '',
      AuthnStatement: `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="_s${randomBytes(8).toString('hex')}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`,
      AttributeStatement: '',
    };
    const created = await this.identityProvider(options.algorithm ?? 'sha256').createLoginResponse(
      serviceProvider,
      { extract: {} },
      'post',
      { email: options.nameId },
      (template: string) => {
        let context = samlify.SamlLib.replaceTagsByValue(template, values);
        if (!options.inResponseTo) {
          // Unsolicited: no InResponseTo at all, as an IdP-initiated response has none.
          context = context.replaceAll(' InResponseTo=""', '');
        }
        return { id: values.ID, context };
      },
    );
    return (created as { context: string }).context;
  }

  /** Reads and verifies (signature against the SP's metadata certificate) the AuthnRequest of a redirect to this IdP. */
  async receiveAuthnRequest(
    redirectUrl: string,
    spMetadataXml: string,
  ): Promise<{ id: string; relayState: string | null; issuer: string; acsUrl: string }> {
    const url = new URL(redirectUrl);
    const raw = url.search.slice(1).split('&');
    // samlify decodes the values it reads once more; base64 and URIs survive that unchanged.
    const query = Object.fromEntries(url.searchParams);
    const octetString = raw.filter((pair) => !pair.startsWith('Signature=')).join('&');
    const idp = samlify.IdentityProvider({ ...this.settings('sha256'), wantAuthnRequestsSigned: true });
    const serviceProvider = samlify.ServiceProvider({ metadata: spMetadataXml });
    const parsed = await idp.parseLoginRequest(serviceProvider, 'redirect', { query, octetString });
    const request = (parsed.extract as { request: { id: string; assertionConsumerServiceUrl: string }; issuer: string }).request;
    const relayState = url.searchParams.get('RelayState');
    return {
      id: request.id,
      relayState,
      issuer: (parsed.extract as { issuer: string }).issuer,
      acsUrl: request.assertionConsumerServiceUrl,
    };
  }

  private identityProvider(algorithm: keyof typeof ALGORITHMS) {
    return samlify.IdentityProvider(this.settings(algorithm));
  }

  private settings(algorithm: keyof typeof ALGORITHMS) {
    return {
      entityID: this.entityId,
      signingCert: this.certificatePem,
      privateKey: this.privateKeyPem,
      singleSignOnService: [{ Binding: REDIRECT, Location: this.ssoUrl }],
      singleLogoutService: [{ Binding: REDIRECT, Location: `${this.entityId}/slo` }],
      nameIDFormat: [EMAIL_FORMAT],
      requestSignatureAlgorithm: ALGORITHMS[algorithm],
    };
  }
}

/** The XML of a base64 SAMLResponse, and back: for tests that rearrange a real signed response. */
export function decodeResponse(base64: string): string {
  return Buffer.from(base64, 'base64').toString('utf8');
}

export function encodeResponse(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}
