import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

const STREAMED_BODY_MEDIA_TYPE = 'streamedBodyMediaType';

/**
 * Marks an admin route whose handler streams its body (of this media type) itself: nobody has read
 * the bytes when the signature is checked, so it covers the client's `ss-content-sha256` instead,
 * and the handler refuses bytes that do not hash to it. Fastify route config, so the early
 * authentication hook sees it too.
 */
export const StreamedSignedBody = (mediaType: string): MethodDecorator => RouteConfig({ [STREAMED_BODY_MEDIA_TYPE]: mediaType });

/** The media type a route streams, or undefined for the usual JSON body. */
export function streamedBodyMediaType(req: Pick<FastifyRequest, 'routeOptions'>): string | undefined {
  const config = req.routeOptions.config as unknown as Record<string, unknown> | undefined;
  const mediaType = config?.[STREAMED_BODY_MEDIA_TYPE];
  return typeof mediaType === 'string' ? mediaType : undefined;
}
