import { HttpException, HttpStatus } from '@nestjs/common';
import { DomainError, DomainErrorCode } from '../domain-error';
import { isProblemKind, ProblemKind, RequestProblem } from './request-problem';

/** What any failure turns into, before it is rendered for its audience. */
export type ErrorDescription = {
  status: number;
  code: string;
  detail: string;
  kind?: ProblemKind;
  headers: Record<string, string>;
  /** Details of an unexpected fault go to the log only. */
  unexpected: boolean;
};

export const STORAGE_RETRY_AFTER_SECONDS = 5;

const DOMAIN_STATUS: Record<DomainErrorCode, { status: number; kind?: ProblemKind; retryAfterSeconds?: number }> = {
  [DomainErrorCode.NotFound]: { status: HttpStatus.NOT_FOUND },
  [DomainErrorCode.Conflict]: { status: HttpStatus.CONFLICT },
  [DomainErrorCode.HostnameTaken]: { status: HttpStatus.CONFLICT, kind: 'uniqueness' },
  [DomainErrorCode.UserNameTaken]: { status: HttpStatus.CONFLICT, kind: 'uniqueness' },
  [DomainErrorCode.ApiKeyRevoked]: { status: HttpStatus.CONFLICT },
  [DomainErrorCode.LastAdministrator]: { status: HttpStatus.CONFLICT },
  [DomainErrorCode.UserInactive]: { status: HttpStatus.CONFLICT },
  [DomainErrorCode.InvalidInput]: { status: HttpStatus.BAD_REQUEST, kind: 'invalidValue' },
  [DomainErrorCode.UserNameImmutable]: { status: HttpStatus.BAD_REQUEST, kind: 'mutability' },
  [DomainErrorCode.ExternalIdImmutable]: { status: HttpStatus.BAD_REQUEST, kind: 'mutability' },
  [DomainErrorCode.PreconditionFailed]: { status: HttpStatus.PRECONDITION_FAILED },
  [DomainErrorCode.PayloadTooLarge]: { status: HttpStatus.PAYLOAD_TOO_LARGE },
  [DomainErrorCode.UnsupportedMediaType]: { status: HttpStatus.UNSUPPORTED_MEDIA_TYPE },
  [DomainErrorCode.PurgeNotRetryable]: { status: HttpStatus.CONFLICT },
  [DomainErrorCode.PurgeNotReleasable]: { status: HttpStatus.CONFLICT },
  [DomainErrorCode.LegalHoldTooLate]: { status: HttpStatus.CONFLICT },
  [DomainErrorCode.StorageUnavailable]: { status: HttpStatus.SERVICE_UNAVAILABLE, retryAfterSeconds: STORAGE_RETRY_AFTER_SECONDS },
  [DomainErrorCode.ContentShredded]: { status: HttpStatus.GONE },
  [DomainErrorCode.ContentDamaged]: { status: HttpStatus.UNPROCESSABLE_ENTITY },
};

/** A feature's own parser errors (outside HTTP) may carry a problem kind: they mean 400. */
function kindedRequestError(error: unknown): { kind: ProblemKind; detail: string } | null {
  if (!(error instanceof Error)) {
    return null;
  }
  const kind = (error as { problemKind?: unknown }).problemKind;
  return isProblemKind(kind) ? { kind, detail: error.message } : null;
}

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  410: 'gone',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'too_many_requests',
  500: 'internal_error',
  501: 'not_implemented',
  503: 'service_unavailable',
};

/** Driver errors that mean "the database is unreachable or overloaded right now", not a bug. */
const DATABASE_UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);
export const DATABASE_RETRY_AFTER_SECONDS = 5;

function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && DATABASE_UNAVAILABLE_CODES.has(code)) {
      return true;
    }
    const { driverError, cause } = current as { driverError?: unknown; cause?: unknown };
    current = driverError ?? cause;
  }
  return (
    error instanceof Error &&
    /Connection lost|Pool is closed|connection is in closed state|Can't add new command when connection is in closed state/i.test(
      error.message,
    )
  );
}

/** The one place where exceptions become HTTP statuses. */
export function describeError(error: unknown): ErrorDescription {
  if (isDatabaseUnavailable(error)) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      code: 'service_unavailable',
      detail: `The service's database is unavailable right now. Retry in ${DATABASE_RETRY_AFTER_SECONDS} seconds.`,
      headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
      unexpected: false,
    };
  }
  if (error instanceof DomainError) {
    const mapped = DOMAIN_STATUS[error.code];
    const headers: Record<string, string> =
      mapped.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(mapped.retryAfterSeconds) };
    return { status: mapped.status, code: error.code, detail: error.message, kind: mapped.kind, headers, unexpected: false };
  }
  if ((error as { code?: unknown } | null)?.code === 'FST_ERR_BAD_URL') {
    return {
      status: HttpStatus.BAD_REQUEST,
      code: 'bad_request',
      detail: 'The request URL is not valid (malformed percent-encoding).',
      headers: {},
      unexpected: false,
    };
  }
  // Fastify refuses a body before any handler runs; Nest may hand the error over wrapped.
  const bodyStatus = bodyErrorStatus(error) ?? (error instanceof HttpException ? bodyErrorStatus(error.cause) : null);
  if (bodyStatus !== null) {
    return {
      status: bodyStatus,
      code: STATUS_CODES[bodyStatus] ?? `http_${bodyStatus}`,
      detail: BODY_ERROR_DETAIL[bodyStatus] ?? BODY_ERROR_DETAIL[HttpStatus.BAD_REQUEST],
      kind: bodyStatus === Number(HttpStatus.BAD_REQUEST) ? 'invalidSyntax' : undefined,
      headers: {},
      unexpected: false,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return {
      status,
      code: STATUS_CODES[status] ?? `http_${status}`,
      detail: httpDetail(error),
      kind: error instanceof RequestProblem ? error.kind : undefined,
      headers: retryAfterHeader(error),
      unexpected: status >= 500 && !(error instanceof RequestProblem),
    };
  }
  const kinded = kindedRequestError(error);
  if (kinded) {
    return {
      status: HttpStatus.BAD_REQUEST,
      code: 'bad_request',
      detail: kinded.detail,
      kind: kinded.kind,
      headers: {},
      unexpected: false,
    };
  }
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    code: 'internal_error',
    detail: 'An unexpected error occurred. Quote the request id when reporting it.',
    headers: {},
    unexpected: true,
  };
}

function httpDetail(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') {
    return response;
  }
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) {
    return message.map(String).join('; ');
  }
  return typeof message === 'string' ? message : error.message;
}

function retryAfterHeader(error: HttpException): Record<string, string> {
  const seconds = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  return typeof seconds === 'number' ? { 'Retry-After': String(seconds) } : {};
}

const BODY_ERROR_DETAIL: Readonly<Record<number, string>> = {
  [HttpStatus.BAD_REQUEST]: 'The request body is not valid JSON.',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'The request body is larger than this service accepts.',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'Send the body as application/json (or application/scim+json on /scim).',
};

const FASTIFY_BODY_ERRORS: Readonly<Record<string, number>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: HttpStatus.BAD_REQUEST,
  FST_ERR_CTP_EMPTY_JSON_BODY: HttpStatus.BAD_REQUEST,
  FST_ERR_CTP_INVALID_JSON_BODY: HttpStatus.BAD_REQUEST,
};

/** Fastify's body errors carry an FST_ERR_CTP_ code; its JSON parser's are SyntaxErrors with statusCode 400. */
function bodyErrorStatus(error: unknown): number | null {
  const candidate = error as { code?: unknown; statusCode?: unknown } | null | undefined;
  if (typeof candidate?.code === 'string' && candidate.code in FASTIFY_BODY_ERRORS) {
    return FASTIFY_BODY_ERRORS[candidate.code];
  }
  if (error instanceof SyntaxError && candidate?.statusCode === HttpStatus.BAD_REQUEST) {
    return HttpStatus.BAD_REQUEST;
  }
  return null;
}
