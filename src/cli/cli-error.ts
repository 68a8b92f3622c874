export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure the operator can act on: printed as-is on stderr, with this exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
