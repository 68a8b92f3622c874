/** The user-id and password of an HTTP Basic `Authorization` header (RFC 7617). */
export type BasicCredentials = { username: string; password: string };

const BASIC = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i;

/**
 * Null unless the header is `Basic <base64 of user-id:password>` with both parts non-empty. The
 * user-id ends at the first colon; the password may hold colons.
 */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | null {
  const encoded = header === undefined ? undefined : BASIC.exec(header)?.[1];
  if (encoded === undefined) {
    return null;
  }
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) {
    return null;
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
