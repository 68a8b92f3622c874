import { HttpException, HttpStatus } from '@nestjs/common';
import { HttpExceptionWithHeaders } from '../common/errors/response-headers';

export type AuthAudience = 'scim' | 'admin';

/** 401. The detail is safe to show: it never says whether a username or key exists. */
export class AuthenticationFailedException extends HttpExceptionWithHeaders {
  constructor(
    readonly audience: AuthAudience,
    detail: string,
  ) {
    super(detail, HttpStatus.UNAUTHORIZED);
  }

  /** Admin requests authenticate by signature (a SCIM 401 gets its Basic challenge with the SCIM error). */
  get responseHeaders(): Readonly<Record<string, string>> {
    return this.audience === 'admin' ? { 'WWW-Authenticate': 'ss-request-signature' } : {};
  }
}

/** 429 after too many failed authentications from one address or for one username/key. */
export class AuthThrottledException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed authentication attempts. Retry after ${retryAfterSeconds} seconds.`, HttpStatus.TOO_MANY_REQUESTS);
  }
}
