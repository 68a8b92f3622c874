import { attributeOf, childElements, descendantElements, parseSamlXml, SAML_METADATA_NS, UnreadableXmlError, XMLDSIG_NS } from './saml-xml';

export const HTTP_REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

/** What an identity provider's metadata says about it; null fields were not found (the problems say why). */
export type IdpMetadata = { entityId: string | null; ssoUrl: string | null; certificate: string | null; problems: string[] };

/** Reads an IdP's SAML 2.0 metadata (an EntityDescriptor, or the first one with an IDPSSODescriptor in an EntitiesDescriptor). */
export function readIdpMetadata(xml: string): IdpMetadata {
  let document: Document;
  try {
    document = parseSamlXml(xml);
  } catch (error) {
    const reason = error instanceof UnreadableXmlError ? error.message : 'it could not be read';
    return { entityId: null, ssoUrl: null, certificate: null, problems: [`idpMetadataXml is not usable SAML metadata: ${reason}.`] };
  }
  const descriptors = descendantElements(document, SAML_METADATA_NS, 'IDPSSODescriptor');
  const idp = descriptors[0];
  const entity = idp?.parentNode as Element | null | undefined;
  if (!idp || !entity || entity.localName !== 'EntityDescriptor' || entity.namespaceURI !== SAML_METADATA_NS) {
    return {
      entityId: null,
      ssoUrl: null,
      certificate: null,
      problems: [
        'idpMetadataXml holds no EntityDescriptor with an IDPSSODescriptor: paste the identity provider metadata of the SAML app (Okta: "View SAML setup instructions" or the metadata URL).',
      ],
    };
  }
  const problems: string[] = [];
  const entityId = attributeOf(entity, 'entityID');
  if (!entityId) {
    problems.push('idpMetadataXml: the EntityDescriptor has no entityID.');
  }
  const redirect = childElements(idp, SAML_METADATA_NS, 'SingleSignOnService').find(
    (service) => attributeOf(service, 'Binding') === HTTP_REDIRECT_BINDING,
  );
  const ssoUrl = redirect ? attributeOf(redirect, 'Location') : null;
  if (!ssoUrl) {
    problems.push(
      'idpMetadataXml has no SingleSignOnService with the HTTP-Redirect binding (with a Location), which sign-in requests use.',
    );
  }
  const signingKey = childElements(idp, SAML_METADATA_NS, 'KeyDescriptor').find(
    (key) => (attributeOf(key, 'use') ?? 'signing') === 'signing',
  );
  const certificate = signingKey ? (descendantElements(signingKey, XMLDSIG_NS, 'X509Certificate')[0]?.textContent ?? null) : null;
  if (!certificate?.trim()) {
    problems.push('idpMetadataXml has no signing certificate (KeyDescriptor use="signing" with an X509Certificate).');
  }
  return { entityId, ssoUrl, certificate: certificate?.trim() || null, problems };
}
