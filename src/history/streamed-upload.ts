import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CONTENT_SHA256_HEADER, isContentDigest, UPLOAD_MEDIA_TYPE } from './content-digest';

export const UPLOAD_ROUTE = '/admin/v1/users/:id/files';

/**
 * Uploads are streamed to storage by the handler (`request.raw`), never buffered, so their
 * content type gets a parser that leaves the body unread. Because the admin signature cannot cover
 * bytes nobody has read, on the upload route the client signs the lowercase hex SHA-256 of the
 * content, sent in `ss-content-sha256`: that value becomes the signed body, and the upload is
 * refused unless the bytes that arrive hash to it (see HistoryService.addFile).
 */
export function registerStreamedUploads(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(UPLOAD_MEDIA_TYPE, (_request, _payload, done) => done(null, undefined));
  // After any parser (a wrong content type may have been read, to be refused by the handler) and before the guard.
  fastify.addHook('preValidation', (request: FastifyRequest & { rawBody?: Buffer | string }, _reply, done) => {
    const digest = request.headers[CONTENT_SHA256_HEADER];
    if (isUploadRoute(request) && typeof digest === 'string' && isContentDigest(digest)) {
      request.rawBody = Buffer.from(digest, 'utf8');
    }
    done();
  });
}

function isUploadRoute(request: FastifyRequest): boolean {
  return request.routeOptions.url === UPLOAD_ROUTE && request.method === 'POST';
}

/** An upload whose body its handler streams to storage (no parser reads it). */
export function isStreamedUpload(request: FastifyRequest): boolean {
  return isUploadRoute(request) && request.headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase() === UPLOAD_MEDIA_TYPE;
}
