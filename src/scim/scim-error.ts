import { HttpException } from '@nestjs/common';

/** The SCIM wire format of errors (RFC 7644 §3.12) and of every SCIM response body. */
export const SCIM_MEDIA_TYPE = 'application/scim+json; charset=utf-8';
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

const SCIM_TYPES = [
  'invalidFilter',
  'tooMany',
  'uniqueness',
  'mutability',
  'invalidSyntax',
  'invalidPath',
  'noTarget',
  'invalidValue',
  'invalidVers',
  'sensitive',
] as const;

/** RFC 7644 §3.12 scimType values this service uses. */
export type ScimType = (typeof SCIM_TYPES)[number];

const KNOWN_SCIM_TYPES: ReadonlySet<string> = new Set(SCIM_TYPES);

export function isScimType(value: unknown): value is ScimType {
  return typeof value === 'string' && KNOWN_SCIM_TYPES.has(value);
}

/** Routes under /scim answer errors in the SCIM format. */
export function isScimPath(path: string): boolean {
  return /^\/scim(\/|$)/i.test(path);
}

/** The SCIM Error resource for a status, its detail and, where one applies, its scimType. */
export function scimErrorBody(status: number, detail: string, scimType?: ScimType): string {
  return JSON.stringify({
    schemas: [SCIM_ERROR_SCHEMA],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail,
  });
}

/** An HTTP error that SCIM routes render with a scimType. */
export class ScimException extends HttpException {
  constructor(
    status: number,
    detail: string,
    readonly scimType?: ScimType,
  ) {
    super(detail, status);
  }
}
