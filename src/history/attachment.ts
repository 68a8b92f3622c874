import { create as contentDisposition } from 'content-disposition';

/**
 * A Content-Disposition that saves `name` as an attachment. Control characters and path
 * separators would only be mangled by the browser; the rest is encoded by content-disposition
 * (RFC 6266, RFC 8187).
 */
export function attachmentDisposition(name: string): string {
  // eslint-disable-next-line no-control-regex
  return contentDisposition(name.replace(/[\u0000-\u001f\u007f-\u009f/\\]/g, '_'));
}
