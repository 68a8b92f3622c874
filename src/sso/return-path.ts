const MAX_RETURN_PATH_LENGTH = 1024;
const BASE = new URL('https://return-path.invalid');

/**
 * `returnTo` when it is a path on this site (never an open redirect): it starts with one `/`,
 * holds no backslash, white space or control character, and resolves to this site's origin.
 * Null when it is not such a path.
 */
export function safeReturnPath(returnTo: string): string | null {
  if (
    returnTo.length > MAX_RETURN_PATH_LENGTH ||
    !returnTo.startsWith('/') ||
    returnTo.startsWith('//') ||
    /[\\\s\p{Cc}]/u.test(returnTo)
  ) {
    return null;
  }
  let resolved: URL;
  try {
    resolved = new URL(returnTo, BASE);
  } catch {
    return null;
  }
  return resolved.origin === BASE.origin ? `${resolved.pathname}${resolved.search}${resolved.hash}` : null;
}
