import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { CONTENT_SHA256_HEADER, isContentDigest } from './content-digest';

/**
 * A streamed upload is not buffered, so the admin signature cannot cover its raw bytes. Instead
 * the client signs the lowercase hex SHA-256 of the content, sent in `ss-content-sha256`: this
 * hands that value to the signature guard as the signed body, and the upload is refused unless
 * the bytes that arrive hash to it (see HistoryService.addFile).
 */
@Injectable()
export class ContentDigestSignatureMiddleware implements NestMiddleware {
  use(req: Request & { rawBody?: Buffer }, _res: Response, next: NextFunction): void {
    const digest = req.headers[CONTENT_SHA256_HEADER];
    if (req.rawBody === undefined && typeof digest === 'string' && isContentDigest(digest)) {
      req.rawBody = Buffer.from(digest, 'utf8');
    }
    next();
  }
}
