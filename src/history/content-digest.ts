export { CONTENT_SHA256_HEADER } from '../auth/request-signature';

export const UPLOAD_MEDIA_TYPE = 'application/octet-stream';

export function isContentDigest(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}
