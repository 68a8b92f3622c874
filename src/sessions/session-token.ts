import { createHash, randomBytes } from 'node:crypto';

// 256 bits from the CSPRNG: a token cannot be guessed, so a fast hash stores it safely.
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newSessionToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Only this is stored: a leaked sessions table opens no session. */
export function sessionTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A cookie value that cannot be a token is refused before any lookup. */
export function isWellFormedSessionToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}
