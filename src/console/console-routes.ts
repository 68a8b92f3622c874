/**
 * The console's state-changing routes (Fastify templates): the only console routes that take a
 * form, and every one of them checks a CSRF token before its handler runs.
 */
export const CONSOLE_FORM_ROUTES: ReadonlySet<string> = new Set([
  '/login/link',
  '/logout',
  '/account/api-keys',
  '/account/api-keys/:id/revoke',
  '/account/api-keys/:id/scim-credentials',
  '/admin/users/:id/role',
  '/admin/users/:id/sessions/revoke',
  '/admin/purges/:id/retry',
  '/admin/sso',
  '/admin/sso/disable',
]);

/**
 * default-src 'none' with only this service's own script and stylesheet: no inline code can run,
 * forms post only here, and no page can be framed.
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');
