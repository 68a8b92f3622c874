/** RFC 7644 §3.12 error types a PATCH request can earn. */
export type ScimPatchErrorType = 'invalidSyntax' | 'invalidValue' | 'noTarget' | 'invalidPath' | 'mutability';

/** A PATCH request we cannot apply: answered with 400 and `scimType`. */
export class ScimPatchError extends Error {
  constructor(
    readonly scimType: ScimPatchErrorType,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'ScimPatchError';
  }
}
