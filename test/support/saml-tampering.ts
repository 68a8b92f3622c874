import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { decodeResponse, encodeResponse } from './saml-idp';

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';

/** Rearranges a real signed SAMLResponse (base64) through its DOM, as an attacker holding one would. */
export function tamper(base64: string, change: (document: Document, parts: ResponseParts) => void): string {
  const document = new DOMParser().parseFromString(decodeResponse(base64), 'text/xml');
  change(document, partsOf(document));
  return encodeResponse(new XMLSerializer().serializeToString(document));
}

export type ResponseParts = { response: Element; assertion: Element };

function partsOf(document: Document): ResponseParts {
  const response = document.documentElement;
  const assertion = document.getElementsByTagNameNS(ASSERTION, 'Assertion')[0];
  return { response, assertion };
}

export function signaturesOf(element: Element): Element[] {
  return Array.from(element.getElementsByTagNameNS(DSIG, 'Signature'));
}

export function childSignature(element: Element): Element | undefined {
  return Array.from(element.childNodes).find(
    (node): node is Element =>
      node.nodeType === 1 && (node as Element).localName === 'Signature' && (node as Element).namespaceURI === DSIG,
  );
}

export function nameIdOf(element: Element): Element {
  return element.getElementsByTagNameNS(ASSERTION, 'NameID')[0];
}

/** A copy of the signed assertion naming someone else, its signature removed and given a new id. */
export function forgedCopy(assertion: Element, nameId: string, id = '_forged'): Element {
  const copy = assertion.cloneNode(true) as Element;
  copy.setAttribute('ID', id);
  childSignature(copy)?.parentNode?.removeChild(childSignature(copy)!);
  nameIdOf(copy).textContent = nameId;
  return copy;
}

export { ASSERTION, DSIG, PROTOCOL };
