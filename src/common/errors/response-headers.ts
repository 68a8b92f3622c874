import { HttpException } from '@nestjs/common';

/**
 * An HTTP error that asks for headers on its (non-SCIM) response, such as a 401's
 * WWW-Authenticate. The error filter sets them without knowing which module threw.
 */
export abstract class HttpExceptionWithHeaders extends HttpException {
  abstract get responseHeaders(): Readonly<Record<string, string>>;
}
