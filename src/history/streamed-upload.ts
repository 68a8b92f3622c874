import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UPLOAD_MEDIA_TYPE } from './content-digest';

export const UPLOAD_ROUTE = '/admin/v1/users/:id/files';

/**
 * Uploads are streamed to storage by the handler (`request.raw`), never buffered, so their
 * content type gets a parser that leaves the body unread. The admin signature covers the
 * client's `ss-content-sha256` instead (see StreamedSignedBody), and the upload is refused unless
 * the bytes that arrive hash to it (see HistoryService.addFile).
 */
export function registerStreamedUploads(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(UPLOAD_MEDIA_TYPE, (_request, _payload, done) => done(null, undefined));
}

/** An upload whose body its handler streams to storage (no parser reads it). */
export function isStreamedUpload(request: FastifyRequest): boolean {
  return (
    request.routeOptions.url === UPLOAD_ROUTE &&
    request.method === 'POST' &&
    request.headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase() === UPLOAD_MEDIA_TYPE
  );
}
