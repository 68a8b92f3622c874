/** Stable codes: the HTTP and CLI layers map these, and only these, to responses. */
export enum DomainErrorCode {
  HostnameTaken = 'hostname_taken',
  UserNameTaken = 'user_name_taken',
  InvalidInput = 'invalid_input',
}

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
