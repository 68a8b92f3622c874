import { loadOnDemand } from '../common/load-on-demand';

/**
 * node-saml and the XML-signature stack under it, imported on the first SAML message or metadata
 * request: a deployment that never uses single sign-on never loads them (docs/performance.md).
 */
export const loadSamlLibrary = loadOnDemand('The SAML library (@node-saml/node-saml)', () => import('@node-saml/node-saml'));

/** Response validation, with node-saml under it, loaded like the library itself. */
export const loadSamlResponseValidator = loadOnDemand(
  'SAML response validation (@node-saml/node-saml)',
  () => import('./saml-response-validator.js'),
);
