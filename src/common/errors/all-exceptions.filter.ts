import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isScimPath, SCIM_MEDIA_TYPE, scimErrorBody } from '../../scim/scim-error';
import { describeError } from './error-response';
import { HttpExceptionWithHeaders } from './response-headers';

/**
 * Every error response: SCIM Error schema under /scim, one JSON shape elsewhere.
 * Unexpected faults are logged with the request id and answered without internals.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.logger);
  }
}

/**
 * Answers `exception` in this service's error shapes. Also used for the errors Fastify raises
 * before Nest sees a request (a malformed URL), so those get the same bodies.
 */
export function sendError(exception: unknown, req: FastifyRequest, res: FastifyReply, logger: Pick<Logger, 'error'>): void {
  const described = describeError(exception);
  const requestId = typeof req.id === 'string' ? req.id : undefined;
  const path = req.url.split('?', 1)[0] ?? '';
  if (described.unexpected) {
    logger.error({ err: exception, requestId, path }, 'unexpected error');
  }
  if (res.sent || res.raw.headersSent) {
    res.raw.destroy();
    return;
  }
  // Health checks answer in terminus's own shape, which probes and dashboards understand.
  if (exception instanceof HttpException && path.startsWith('/health/')) {
    void res.status(exception.getStatus()).send(exception.getResponse());
    return;
  }
  for (const [name, value] of Object.entries(described.headers)) {
    res.header(name, value);
  }
  // Refused before its body was read (unauthenticated, throttled, too large): close, rather than drain it.
  if (!req.raw.complete) {
    res.header('Connection', 'close');
  }
  if (isScimPath(path)) {
    if (described.status === 401) {
      res.header('WWW-Authenticate', 'Basic realm="SCIM", charset="UTF-8"');
    }
    void res
      .status(described.status)
      .type(SCIM_MEDIA_TYPE)
      .send(scimErrorBody(described.status, described.detail, described.scimType));
    return;
  }
  if (exception instanceof HttpExceptionWithHeaders) {
    for (const [name, value] of Object.entries(exception.responseHeaders)) {
      res.header(name, value);
    }
  }
  void res.status(described.status).send({ statusCode: described.status, error: described.code, message: described.detail, requestId });
}
