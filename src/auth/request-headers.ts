import type { FastifyRequest } from 'fastify';

/**
 * How many times a header was sent. Node keeps only the first of some headers (Authorization) and
 * joins others with ", ": a credential sent twice is refused rather than guessed at, since a proxy
 * in front may have read the other one.
 */
export function timesSent(req: Pick<FastifyRequest, 'raw'>, name: string): number {
  const raw = req.raw.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === name) {
      count += 1;
    }
  }
  return count;
}

/** True when the request announces a body: a non-zero Content-Length or any Transfer-Encoding. */
export function announcesBody(req: Pick<FastifyRequest, 'headers'>): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
