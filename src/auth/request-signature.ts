import { createHash, createHmac, randomBytes } from 'node:crypto';

/** The admin API's signing scheme; the one before it covered neither the method nor replays. */
export const SIGNATURE_SCHEME = 'v2';

export const SIGNATURE_HEADERS = {
  key: 'ss-api-key',
  timestamp: 'ss-request-timestamp',
  nonce: 'ss-request-nonce',
  signature: 'ss-request-signature',
} as const;

/** Streamed uploads: the lowercase hex SHA-256 of the content, which is what the signature covers. */
export const CONTENT_SHA256_HEADER = 'ss-content-sha256';

export const SIGNATURE_WINDOW_MS = 5 * 60 * 1000;

export const NONCE_RULE = '16 to 128 characters of A-Z, a-z, 0-9, "_" and "-"';

const ISO_UTC_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const NONCE_BYTES = 18;

/** What a v2 signature covers. */
export type SignedRequest = {
  key: string;
  method: string;
  pathWithQuery: string;
  timestamp: string;
  nonce: string;
  /** Lowercase hex SHA-256 of the raw body (of the empty string when there is none). */
  bodySha256: string;
};

/** `key \n METHOD \n pathWithQuery \n timestamp \n nonce \n bodySha256`: no field can hold a newline. */
export function stringToSign(request: SignedRequest): string {
  return [request.key, request.method.toUpperCase(), request.pathWithQuery, request.timestamp, request.nonce, request.bodySha256].join(
    '\n',
  );
}

/** Lowercase hex HMAC-SHA256 of the string to sign, keyed with the secret as UTF-8. */
export function signRequest(secret: string, request: SignedRequest): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(stringToSign(request), 'utf8').digest('hex');
}

export function sha256Hex(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** A fresh nonce from the CSPRNG (24 base64url characters). */
export function newNonce(): string {
  return randomBytes(NONCE_BYTES).toString('base64url');
}

export function isValidNonce(value: string): boolean {
  return NONCE.test(value);
}

/** ISO-8601 UTC to the second, as clients send it. */
export function signatureTimestamp(now: Date = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The four signature headers of one request, for clients (the CLI, tests, the bench). A new nonce
 * every call: a signed request can be sent once.
 */
export function signatureHeaders(
  credentials: { key: string; secret: string },
  request: Pick<SignedRequest, 'method' | 'pathWithQuery' | 'bodySha256'>,
  options: { timestamp?: string; nonce?: string } = {},
): Record<string, string> {
  const timestamp = options.timestamp ?? signatureTimestamp();
  const nonce = options.nonce ?? newNonce();
  return {
    [SIGNATURE_HEADERS.key]: credentials.key,
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.signature]: signRequest(credentials.secret, { ...request, key: credentials.key, timestamp, nonce }),
  };
}

/** Milliseconds since the epoch, or null unless an ISO-8601 UTC timestamp such as 2026-11-28T10:00:00Z. */
export function parseSignatureTimestamp(value: string): number | null {
  if (!ISO_UTC_TIMESTAMP.test(value)) {
    return null;
  }
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : time;
}

export function isLowercaseHexSha256(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}
