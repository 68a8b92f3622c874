/** Header of a streamed upload carrying the signed SHA-256 of its content. */
export const CONTENT_SHA256_HEADER = 'ss-content-sha256';

export const UPLOAD_MEDIA_TYPE = 'application/octet-stream';

export function isContentDigest(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}
