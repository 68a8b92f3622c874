import { HttpException } from '@nestjs/common';

/** RFC 7644 §3.12 scimType values this service uses. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

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
