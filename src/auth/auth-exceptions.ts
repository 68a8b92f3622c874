import { HttpException, HttpStatus } from '@nestjs/common';

export type AuthAudience = 'scim' | 'admin';

/** 401. The detail is safe to show: it never says whether a username or key exists. */
export class AuthenticationFailedException extends HttpException {
  constructor(
    readonly audience: AuthAudience,
    detail: string,
  ) {
    super(detail, HttpStatus.UNAUTHORIZED);
  }
}

/** 429 after too many failed authentications from one address or for one username/key. */
export class AuthThrottledException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed authentication attempts. Retry after ${retryAfterSeconds} seconds.`, HttpStatus.TOO_MANY_REQUESTS);
  }
}
