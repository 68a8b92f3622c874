/**
 * Why content could not be decrypted. Every case fails the whole read: no byte of a chunk or field
 * that did not authenticate is ever returned. The HTTP layer maps `reason`: key-destroyed means the
 * content was crypto-shredded (410); the others are damage an operator must look at.
 */
export type ContentFailure = 'key-destroyed' | 'wrong-key' | 'tampered' | 'truncated' | 'unsupported-format';

export abstract class ContentDecryptionError extends Error {
  abstract readonly reason: ContentFailure;
}

/** The user has no data key of this id (any more): it was destroyed, or never was theirs. */
export class DataKeyDestroyedError extends ContentDecryptionError {
  override readonly name = 'DataKeyDestroyedError';
  readonly reason = 'key-destroyed';

  constructor(
    readonly userId: string,
    readonly keyId: string,
  ) {
    super(`data key ${keyId} of user ${userId} does not exist (destroyed)`);
  }
}

/** The content names another data key than the one it was given to be opened with. */
export class WrongDataKeyError extends ContentDecryptionError {
  override readonly name = 'WrongDataKeyError';
  readonly reason = 'wrong-key';

  constructor(
    readonly contentKeyId: string,
    readonly givenKeyId: string,
  ) {
    super(`the content was encrypted under data key ${contentKeyId}, not ${givenKeyId}`);
  }
}

/** Authentication failed: the bytes were modified, reordered, moved from elsewhere, or extended. */
export class ContentTamperedError extends ContentDecryptionError {
  override readonly name = 'ContentTamperedError';
  readonly reason = 'tampered';
}

/** The ciphertext stops before its last chunk. */
export class ContentTruncatedError extends ContentDecryptionError {
  override readonly name = 'ContentTruncatedError';
  readonly reason = 'truncated';
}

/** Not content this service encrypted, or a format version it does not know. */
export class UnsupportedContentFormatError extends ContentDecryptionError {
  override readonly name = 'UnsupportedContentFormatError';
  readonly reason = 'unsupported-format';
}
