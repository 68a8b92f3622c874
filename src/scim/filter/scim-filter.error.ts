/** A filter the client sent that we cannot evaluate: answered with 400 and scimType invalidFilter. */
export class ScimFilterError extends Error {
  readonly scimType = 'invalidFilter';

  constructor(message: string) {
    super(message);
    this.name = 'ScimFilterError';
  }
}
