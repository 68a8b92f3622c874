import { SamlStatusError } from '@node-saml/node-saml';
import { describe, expect, it } from 'vitest';
import { reasonOfLibraryError } from './saml-response-validator';

// The messages @node-saml/node-saml 5.1.0 throws (lib/saml.js, lib/xml.js): an upgrade that rewords one fails here.
describe('reasons for node-saml errors', () => {
  it.each([
    ['Invalid signature', 'signature_invalid'],
    ['Invalid document signature', 'signature_invalid'],
    ['Invalid signature: multiple assertions', 'signature_invalid'],
    ['Too many signatures found for this element', 'signature_invalid'],
    ['Invalid signature: ID cannot refer to more than one element', 'signature_invalid'],
    ["Invalid signature: Referenced node does not refer to it's parent element", 'signature_invalid'],
    ['Invalid signature, too many transforms', 'signature_invalid'],
    ['SAML assertion not yet valid', 'not_yet_valid'],
    ['SAML assertion expired: clocks skewed too much', 'expired'],
    ['SAML assertion audience mismatch. Expected: a Received: b', 'audience_mismatch'],
    ['SAML assertion has no AudienceRestriction', 'audience_mismatch'],
    ['No decryption key for encrypted SAML response', 'malformed_response'],
    ['Missing SAML assertion', 'malformed_response'],
    ['Unable to process multiple conditions in SAML assertion', 'malformed_response'],
    ['something new', 'invalid_response'],
  ])('%s → %s', (message, reason) => {
    expect(reasonOfLibraryError(new Error(message))).toBe(reason);
  });

  it('a failure status → idp_error; a TypeError on a missing element → malformed_response', () => {
    expect(reasonOfLibraryError(new SamlStatusError('SAML provider returned Responder error: x', '<Status/>'))).toBe('idp_error');
    expect(reasonOfLibraryError(new TypeError("Cannot read properties of null (reading 'AudienceRestriction')"))).toBe('audience_mismatch');
    expect(reasonOfLibraryError(new TypeError("Cannot read properties of undefined (reading '0')"))).toBe('malformed_response');
  });
});
