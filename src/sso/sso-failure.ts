/**
 * Why a sign-in was refused: a stable code shown on the failure page, recorded in the audit trail
 * and counted in metrics. Nothing else about the refused message is revealed.
 */
export const SSO_FAILURE_STATUS = {
  malformed_response: 401,
  signature_invalid: 401,
  weak_signature_algorithm: 401,
  issuer_mismatch: 401,
  audience_mismatch: 401,
  destination_mismatch: 401,
  recipient_mismatch: 401,
  nameid_format_unsupported: 401,
  not_yet_valid: 401,
  expired: 401,
  replayed: 401,
  in_response_to_invalid: 401,
  idp_error: 401,
  invalid_response: 401,
  idp_initiated_disabled: 403,
  sso_not_configured: 403,
  not_provisioned: 403,
  deactivated: 403,
  invalid_return_to: 400,
  replay_check_unavailable: 503,
} as const;

export type SsoFailureReason = keyof typeof SSO_FAILURE_STATUS;

export const SSO_FAILURE_REASONS = Object.keys(SSO_FAILURE_STATUS) as SsoFailureReason[];

/** What the page says for each reason: for the person signing in and the administrator they will ask. */
export const SSO_FAILURE_MESSAGES: Readonly<Record<SsoFailureReason, string>> = {
  malformed_response: 'The sign-in response could not be read.',
  signature_invalid: 'The sign-in response is not signed by the identity provider configured for this organization.',
  weak_signature_algorithm: 'The identity provider signed with SHA-1, which is refused: set it to sign with SHA-256.',
  issuer_mismatch: 'The sign-in response comes from another identity provider than the one configured.',
  audience_mismatch: 'The sign-in response was issued for another application.',
  destination_mismatch: 'The sign-in response was sent to another address.',
  recipient_mismatch: 'The sign-in response was issued for another address.',
  nameid_format_unsupported: 'The identity provider must send the user name as an email address (NameID format EmailAddress).',
  not_yet_valid: 'The sign-in response is not valid yet: check the clocks of the identity provider and of this service.',
  expired: 'The sign-in response has expired: sign in again.',
  replayed: 'This sign-in response was already used: sign in again.',
  in_response_to_invalid: 'This sign-in does not answer a recent sign-in request of this organization: sign in again.',
  idp_error: 'The identity provider did not sign you in.',
  invalid_response: 'The sign-in response is not valid.',
  idp_initiated_disabled: 'Sign-in must start from this service: use "Sign in with single sign-on" here.',
  sso_not_configured: 'Single sign-on is not set up for this organization.',
  not_provisioned: 'Your account has not been provisioned in this organization: ask your administrator to assign you the application.',
  deactivated: 'Your account in this organization is deactivated.',
  invalid_return_to: 'The page to return to after sign-in must be a path on this site.',
  replay_check_unavailable: 'Sign-in is unavailable for a moment: try again shortly.',
};

export class SsoFailure extends Error {
  override readonly name = 'SsoFailure';

  constructor(readonly reason: SsoFailureReason) {
    super(`single sign-on refused: ${reason}`);
  }

  get status(): number {
    return SSO_FAILURE_STATUS[this.reason];
  }
}
