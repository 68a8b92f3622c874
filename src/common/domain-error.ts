/** Stable codes: the HTTP and CLI layers map these, and only these, to responses. */
export enum DomainErrorCode {
  NotFound = 'not_found',
  Conflict = 'conflict',
  HostnameTaken = 'hostname_taken',
  UserNameTaken = 'user_name_taken',
  ApiKeyRevoked = 'api_key_revoked',
  LastAdministrator = 'last_administrator',
  UserInactive = 'user_inactive',
  InvalidInput = 'invalid_input',
  UserNameImmutable = 'user_name_immutable',
  ExternalIdImmutable = 'external_id_immutable',
  PreconditionFailed = 'precondition_failed',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  PurgeNotRetryable = 'purge_not_retryable',
  /** Only a purge held by the mass-deactivation breaker can be released by an administrator. */
  PurgeNotReleasable = 'purge_not_releasable',
  /** A legal hold cannot keep content whose data keys a running or finished purge already destroyed. */
  LegalHoldTooLate = 'legal_hold_too_late',
  /** The file store is unreachable or throttling; the same request may succeed later. */
  StorageUnavailable = 'storage_unavailable',
  /** The content's data key was destroyed (deactivation): it can never be read again. */
  ContentShredded = 'content_shredded',
  /** Stored content does not decrypt (modified, cut short, under an unknown key): none of it is returned. */
  ContentDamaged = 'content_damaged',
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

export function notFound(what: string): DomainError {
  return new DomainError(DomainErrorCode.NotFound, `${what} not found.`);
}
