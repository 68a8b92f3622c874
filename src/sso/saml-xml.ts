import { DOMParser } from '@xmldom/xmldom';

export const SAML_PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const SAML_ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const SAML_METADATA_NS = 'urn:oasis:names:tc:SAML:2.0:metadata';
export const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';

const ELEMENT_NODE = 1;
const COMMENT_NODE = 8;

/** XML this service refuses to read at all: SAML has no use for document type declarations (entity expansion). */
export class UnreadableXmlError extends Error {
  override readonly name = 'UnreadableXmlError';
}

/** Parses a SAML message or metadata document; any parse error, warning-level ones included, refuses it. */
export function parseSamlXml(text: string): Document {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw new UnreadableXmlError('the document declares a document type or entities');
  }
  const refuse = (message: string): never => {
    throw new UnreadableXmlError(`the document is not well-formed XML (${message.split('\n', 1)[0].slice(0, 120)})`);
  };
  const document = new DOMParser({ locator: {}, errorHandler: { warning: refuse, error: refuse, fatalError: refuse } }).parseFromString(
    text,
    'text/xml',
  );
  if (!document?.documentElement) {
    throw new UnreadableXmlError('the document has no root element');
  }
  return document;
}

/** The element's child elements in `namespace` named `localName`. */
export function childElements(parent: Element, namespace: string, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE && (node as Element).namespaceURI === namespace && (node as Element).localName === localName) {
      found.push(node as Element);
    }
  }
  return found;
}

/** Every descendant element in `namespace` named `localName`, in document order. */
export function descendantElements(root: Document | Element, namespace: string, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(namespace, localName));
}

/** True when a comment sits anywhere inside `element`. */
export function containsComment(element: Element): boolean {
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === COMMENT_NODE || (node.nodeType === ELEMENT_NODE && containsComment(node as Element))) {
      return true;
    }
  }
  return false;
}

/** An attribute's value, or null when it is absent. */
export function attributeOf(element: Element, name: string): string | null {
  return element.hasAttribute(name) ? element.getAttribute(name) : null;
}
