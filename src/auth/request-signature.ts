import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADERS = {
  key: 'ss-api-key',
  timestamp: 'ss-request-timestamp',
  signature: 'ss-request-signature',
} as const;

export const SIGNATURE_WINDOW_MS = 5 * 60 * 1000;

const ISO_UTC_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/**
 * Lowercase hex HMAC-SHA256, keyed with the secret as UTF-8, of
 * key + pathWithQuery + timestamp + rawBody (empty for requests without a body).
 */
export function signRequest(secret: string, key: string, pathWithQuery: string, timestamp: string, rawBody: Buffer | string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(key, 'utf8')
    .update(pathWithQuery, 'utf8')
    .update(timestamp, 'utf8')
    .update(rawBody)
    .digest('hex');
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
