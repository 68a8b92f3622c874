/** Routes that take an HTML form: the ACS, where the identity provider's page posts the SAMLResponse. */
export const SSO_FORM_ROUTES: ReadonlySet<string> = new Set(['/sso/acs']);
