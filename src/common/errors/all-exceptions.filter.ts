import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorFormats } from './error-formats';
import { describeError } from './error-response';
import { HttpExceptionWithHeaders } from './response-headers';

/**
 * Every error response, in the format registered for its path (ErrorFormats), the admin JSON shape
 * by default. Unexpected faults are logged with the request id and answered without internals.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly formats: ErrorFormats) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.formats, this.logger);
  }
}

/**
 * Answers `exception` in this service's error shapes. Also used for the errors Fastify raises
 * before Nest sees a request (a malformed URL), so those get the same bodies.
 */
export function sendError(
  exception: unknown,
  req: FastifyRequest,
  res: FastifyReply,
  formats: ErrorFormats,
  logger: Pick<Logger, 'error'>,
): void {
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
  const rendered = formats.formatFor(path).render({
    status: described.status,
    code: described.code,
    detail: described.detail,
    kind: described.kind,
    requestId,
    exceptionHeaders: exception instanceof HttpExceptionWithHeaders ? exception.responseHeaders : {},
  });
  for (const [name, value] of Object.entries(rendered.headers)) {
    res.header(name, value);
  }
  void res.status(described.status).type(rendered.contentType).send(rendered.body);
}
