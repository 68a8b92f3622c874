import type { ErrorFormat } from '../common/errors/error-formats';
import { ProblemKind, RequestProblem } from '../common/errors/request-problem';

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

/** The scimType of each problem kind that common code and the domain raise. */
const SCIM_TYPE_OF_KIND: Readonly<Record<ProblemKind, ScimType>> = {
  invalidSyntax: 'invalidSyntax',
  invalidValue: 'invalidValue',
  invalidFilter: 'invalidFilter',
  invalidPath: 'invalidPath',
  noTarget: 'noTarget',
  uniqueness: 'uniqueness',
  mutability: 'mutability',
};

export function scimTypeOf(kind: ProblemKind | undefined): ScimType | undefined {
  return kind === undefined ? undefined : SCIM_TYPE_OF_KIND[kind];
}

const BASIC_CHALLENGE: Readonly<Record<string, string>> = { 'WWW-Authenticate': 'Basic realm="SCIM", charset="UTF-8"' };

/** Errors under /scim, registered with ErrorFormats by ScimModule. */
export const SCIM_ERROR_FORMAT: ErrorFormat = {
  name: 'scim',
  matches: isScimPath,
  // A 401 challenges for SCIM's Basic credentials, whatever the exception asked for.
  render: ({ status, detail, kind }) => ({
    contentType: SCIM_MEDIA_TYPE,
    headers: status === 401 ? { ...BASIC_CHALLENGE } : {},
    body: scimErrorBody(status, detail, scimTypeOf(kind)),
  }),
};

/** An HTTP error raised by SCIM-only code; its kind becomes the response's scimType. */
export class ScimException extends RequestProblem {
  get scimType(): ScimType | undefined {
    return scimTypeOf(this.kind);
  }
}
