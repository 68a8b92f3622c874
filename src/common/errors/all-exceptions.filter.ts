import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AuthenticationFailedException } from '../../auth/auth-exceptions';
import { describeError, SCIM_ERROR_SCHEMA } from './error-response';

export const SCIM_MEDIA_TYPE = 'application/scim+json; charset=utf-8';

/**
 * Every error response: SCIM Error schema under /scim, one JSON shape elsewhere.
 * Unexpected faults are logged with the request id and answered without internals.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request & { id?: unknown }>();
    const res = http.getResponse<Response>();
    const described = describeError(exception);
    const requestId = typeof req.id === 'string' ? req.id : undefined;
    if (described.unexpected) {
      this.logger.error({ err: exception, requestId, path: req.path }, 'unexpected error');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // Health checks answer in terminus's own shape, which probes and dashboards understand.
    if (exception instanceof HttpException && req.path.startsWith('/health/')) {
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    for (const [name, value] of Object.entries(described.headers)) {
      res.setHeader(name, value);
    }
    if (isScimPath(req.path)) {
      if (described.status === 401) {
        res.setHeader('WWW-Authenticate', 'Basic realm="SCIM", charset="UTF-8"');
      }
      res
        .status(described.status)
        .type(SCIM_MEDIA_TYPE)
        .send(
          JSON.stringify({
            schemas: [SCIM_ERROR_SCHEMA],
            status: String(described.status),
            ...(described.scimType ? { scimType: described.scimType } : {}),
            detail: described.detail,
          }),
        );
      return;
    }
    if (exception instanceof AuthenticationFailedException && exception.audience === 'admin') {
      res.setHeader('WWW-Authenticate', 'ss-request-signature');
    }
    res.status(described.status).json({ statusCode: described.status, error: described.code, message: described.detail, requestId });
  }
}

export function isScimPath(path: string): boolean {
  return /^\/scim(\/|$)/i.test(path);
}
