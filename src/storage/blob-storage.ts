import { Readable } from 'node:stream';

/** Bytes received into storage but not yet visible under a key (see BlobStorage.stage). */
export type StagedBlob = {
  readonly stagingId: string;
  readonly sizeBytes: number;
  /** Lowercase hex SHA-256 of the bytes, computed while they streamed in. */
  readonly sha256: string;
};

/** The stream held more bytes than the caller allows; nothing was kept. */
export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the content is larger than ${maxBytes} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

/** The stream stopped before its end (a client gone, or cut for inactivity); nothing was kept. */
export class BlobSourceInterruptedError extends Error {
  constructor(cause?: unknown) {
    super('the content stream ended before all of its bytes arrived', { cause });
    this.name = 'BlobSourceInterruptedError';
  }
}

/**
 * Where file bytes live. Keys are relative paths chosen by the caller (history lays them out
 * per organization and user). Local disk today; an object store can implement the same port.
 */
export abstract class BlobStorage {
  /**
   * Streams content into a staging area, hashing and counting it; refuses more than maxBytes
   * (BlobTooLargeError) and a source that stops before its end (BlobSourceInterruptedError).
   */
  abstract stage(source: Readable, maxBytes: number): Promise<StagedBlob>;

  /** Makes staged bytes visible under key (atomically where the backend allows). */
  abstract commit(staged: StagedBlob, key: string): Promise<void>;

  /** Drops staged bytes that will not be committed. Never throws. */
  abstract discard(staged: StagedBlob): Promise<void>;

  /**
   * Deletes the bytes under key. Resolves true when they were deleted, false when they were
   * already gone (a re-run after a crash); throws when they could not be deleted.
   */
  abstract delete(key: string): Promise<boolean>;

  /** Reads the bytes under key (tests and future downloads). */
  abstract read(key: string): Promise<Buffer>;
}
