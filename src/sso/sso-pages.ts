import { SSO_FAILURE_MESSAGES, SsoFailureReason } from './sso-failure';

/**
 * The page a refused sign-in shows: the stable reason code and a sentence for it, nothing from
 * the request (no markup can be injected) and nothing about the refused message.
 */
export function failurePage(reason: SsoFailureReason): string {
  return page('Sign-in failed', `<h1>Sign-in failed</h1>\n<p>${SSO_FAILURE_MESSAGES[reason]}</p>\n<p>Reason: <code>${reason}</code></p>`);
}

export function unknownOrganizationPage(): string {
  return page('Not found', '<h1>Not found</h1>\n<p>No organization is reached at this address.</p>');
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>${title}</title></head>\n<body>\n${body}\n</body>\n</html>\n`;
}
