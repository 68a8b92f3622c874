import type { ProblemKind } from '../../common/errors/request-problem';

/** A filter the client sent that we cannot evaluate: answered with 400 and scimType invalidFilter. */
export class ScimFilterError extends Error {
  readonly scimType = 'invalidFilter';
  /** How the error filter tells it apart as a client mistake (see describeError). */
  readonly problemKind: ProblemKind = 'invalidFilter';

  constructor(message: string) {
    super(message);
    this.name = 'ScimFilterError';
  }
}
