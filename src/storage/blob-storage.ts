import { Readable } from 'node:stream';

/** What a stored blob holds, measured while its bytes streamed in. */
export type StoredBlob = {
  readonly sizeBytes: number;
  /** Lowercase hex SHA-256 of the bytes, when the caller expected one (BlobExpectations.sha256); else null. */
  readonly sha256: string | null;
};

/** What the caller requires of the bytes before they may become visible. */
export type BlobExpectations = {
  readonly maxBytes: number;
  /**
   * Lowercase hex SHA-256 the bytes must hash to. Absent when the caller checks the content
   * itself, on its way in (history checks the plaintext of what it stores encrypted).
   */
  readonly sha256?: string;
};

/** A stored blob as a listing shows it: its key, and when its bytes were last written. */
export type ListedBlob = { readonly key: string; readonly modifiedAt: Date };

/** The keys whose bytes could not be deleted, each with the reason. */
export type UndeletedBlobs = ReadonlyMap<string, string>;

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

/** The bytes did not hash to what the caller declared; nothing was kept. */
export class BlobDigestMismatchError extends Error {
  constructor() {
    super('the content does not match its declared SHA-256');
    this.name = 'BlobDigestMismatchError';
  }
}

/** No bytes are stored under the key (never written, or deleted: a purge deletes bytes before rows). */
export class BlobNotFoundError extends Error {
  constructor() {
    super('no bytes are stored under this key');
    this.name = 'BlobNotFoundError';
  }
}

/**
 * The store could not be reached, or refused for now (throttling, a server error): nothing was
 * kept, and the same request may succeed later.
 */
export class BlobStoreUnavailableError extends Error {
  constructor(cause?: unknown) {
    super(`the file store is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'BlobStoreUnavailableError';
  }
}

/**
 * Where file bytes live. Keys are relative paths chosen by the caller (history lays them out
 * per organization and user). Local disk or an S3-compatible object store.
 */
export abstract class BlobStorage {
  /**
   * Streams content under key, hashing and counting it, and makes it visible only when it meets
   * the expectations: refuses more than maxBytes (BlobTooLargeError), a source that stops before
   * its end (BlobSourceInterruptedError) and bytes with another digest (BlobDigestMismatchError).
   * Until then the bytes are staged (a staging file, an in-progress multipart upload), and a
   * refusal or a store failure drops them.
   */
  abstract put(key: string, source: Readable, expected: BlobExpectations): Promise<StoredBlob>;

  /**
   * Deletes the bytes under key. Resolves true when they were deleted, false when they were
   * already gone where the backend can tell (a re-run after a crash); throws when they could not
   * be deleted.
   */
  abstract delete(key: string): Promise<boolean>;

  /**
   * Deletes the bytes under every key, already-gone counting as deleted. Never throws: resolves
   * with the keys whose bytes may still be there, so no caller reports them deleted.
   */
  abstract deleteMany(keys: readonly string[]): Promise<UndeletedBlobs>;

  /** Reads the bytes under key into memory (tests; downloads use openRead). */
  abstract read(key: string): Promise<Buffer>;

  /**
   * Opens the bytes under key as a stream, never holding them all in memory. Resolves once the
   * store has answered, so a missing key (BlobNotFoundError) or an unreachable store rejects here, before any byte is sent.
   */
  abstract openRead(key: string): Promise<Readable>;

  /**
   * Drops staged bytes that a crashed or cut-off upload left behind, when staged before
   * `olderThan`. Resolves with how many it dropped.
   */
  abstract sweepAbandoned(olderThan: Date): Promise<number>;

  /**
   * Every stored blob (staged bytes aside), a page at a time, in no particular order: for the
   * sweep that deletes bytes no file row refers to. Keys that are not storage keys are left out.
   */
  abstract list(): AsyncIterable<ListedBlob[]>;

  /**
   * Removes the folder `prefix` (a user's `<org>/<user>`) if it is empty, once a purge has deleted
   * its files; a folder with something in it, or none, is left as it is. Stores without folders
   * (S3) have nothing to do.
   */
  abstract removeEmptyFolder(prefix: string): Promise<void>;

  /** Throws when the store cannot serve requests (readiness). */
  abstract checkReachable(): Promise<void>;
}
