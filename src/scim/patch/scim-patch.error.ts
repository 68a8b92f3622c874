import type { ProblemKind } from '../../common/errors/request-problem';

/** RFC 7644 §3.12 error types a PATCH request can earn. */
export type ScimPatchErrorType = 'invalidSyntax' | 'invalidValue' | 'noTarget' | 'invalidPath' | 'mutability';

/** A PATCH request we cannot apply: answered with 400 and `scimType`. */
export class ScimPatchError extends Error {
  readonly problemKind: ProblemKind;

  constructor(
    readonly scimType: ScimPatchErrorType,
    readonly detail: string,
  ) {
    super(detail);
    // How the error filter tells it apart as a client mistake (see describeError).
    this.problemKind = scimType;
    this.name = 'ScimPatchError';
  }
}
