import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { Settings } from '../config/settings';
import { DataKeys } from '../content-encryption/data-keys.service';
import { encryptedFileSize } from '../content-encryption/file-format';
import { Database } from '../database/database';
import {
  BlobDigestMismatchError,
  BlobNotFoundError,
  BlobSourceInterruptedError,
  BlobStorage,
  BlobStoreUnavailableError,
  BlobTooLargeError,
  StoredBlob,
} from '../storage/blob-storage';
import { CONTENT_SHA256_HEADER, isContentDigest, UPLOAD_MEDIA_TYPE } from './content-digest';
import { EncryptingUpload, EncryptingUploadOptions } from './encrypting-upload';
import { HistoryContent, ItemRef } from './history-content';
import { FileRecord, HistoryItem, MessageRecord, MessageWithBody } from './history-records';
import { HistoryRepository, StoredFile } from './history.repository';

export type FileUpload = {
  name: string | undefined;
  /** The signed SHA-256 the client declared for the content. */
  declaredSha256: string | undefined;
  contentType: string | undefined;
  contentLength: number | undefined;
};

export type HistorySummary = { messages: number; files: number; bytes: number };

export type HistoryPage = { readonly items: HistoryItem[]; readonly total: number };

/** A file's bytes, opened (decrypted) for reading. */
export type FileDownload = {
  readonly name: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly content: Readable;
};

/**
 * A user's files and messages: what a purge removes. Their content (subject, body, file name and
 * bytes) is stored encrypted under the user's data key (docs/encryption.md) and decrypted here.
 */
@Injectable()
export class HistoryService {
  private readonly logger = new Logger(HistoryService.name);

  constructor(
    private readonly database: Database,
    private readonly history: HistoryRepository,
    private readonly storage: BlobStorage,
    private readonly settings: Settings,
    private readonly dataKeys: DataKeys,
    private readonly content: HistoryContent,
  ) {}

  /** Sealed under the user's current key in the transaction that holds the owner's lock, which a key needs. */
  addMessage(organizationId: string, userId: string, message: { subject: string; body: string }): Promise<MessageRecord> {
    return this.database.transaction(async () => {
      await this.lockWritableOwner(organizationId, userId);
      const key = await this.dataKeys.currentKey(userId);
      const stored = await this.history.insertMessage({
        organizationId,
        userId,
        dataKeyId: key.id,
        subject: this.content.seal(key, 'message.subject', message.subject),
        body: this.content.seal(key, 'message.body', message.body),
      });
      return { id: stored.id, organizationId, userId, subject: message.subject, createdAt: stored.createdAt };
    });
  }

  /**
   * Encrypts the content into storage while hashing its plaintext, and records the file only when
   * the plaintext matches the signed digest. Bytes land under `<organization>/<user>/<uuid>`, so
   * one user's bytes can always be found.
   */
  async addFile(
    organizationId: string,
    userId: string,
    upload: FileUpload,
    content: Readable,
    contentOptions: EncryptingUploadOptions = {},
  ): Promise<FileRecord> {
    const { name, declaredSha256 } = this.checkUpload(upload);
    // Refuses before reading the body when the owner cannot take it.
    const key = await this.database.transaction(async () => {
      await this.lockWritableOwner(organizationId, userId);
      return this.dataKeys.currentKey(userId);
    });
    const storageKey = `${organizationId}/${userId}/${randomUUID()}`;
    const encrypting = EncryptingUpload.of(content, key, declaredSha256, contentOptions);
    const stored = await this.store(storageKey, encrypting);
    try {
      return await this.database.transaction(async () => {
        await this.lockWritableOwner(organizationId, userId);
        // A deactivation (and a reactivation after it) may have committed while the bytes streamed.
        if (!(await this.dataKeys.holdKey(userId, key.id))) {
          throw new DomainError(
            DomainErrorCode.UserInactive,
            "This user was deactivated while the file was uploading; their history's key is gone and nothing was stored.",
          );
        }
        const row = await this.history.insertFile({
          organizationId,
          userId,
          dataKeyId: key.id,
          name: this.content.seal(key, 'file.name', name),
          sizeBytes: encrypting.plaintextBytes,
          sha256: encrypting.sha256,
          storageKey,
        });
        return { ...row, name, sizeBytes: encrypting.plaintextBytes, sha256: encrypting.sha256 };
      });
    } catch (error) {
      // No row, so no bytes: nothing may remain that a purge would not find.
      await this.storage.delete(storageKey).catch((cleanupError: unknown) => {
        this.logger.error(
          { err: cleanupError, storageKey, storedBytes: stored.sizeBytes },
          'could not remove the bytes of a refused upload',
        );
      });
      throw error;
    }
  }

  async summary(organizationId: string, userId: string): Promise<HistorySummary> {
    const owner = { organizationId, userId };
    if ((await this.history.ownerState(owner)) === 'absent') {
      throw notFound('User');
    }
    const [messages, files] = await Promise.all([this.history.countMessages(owner), this.history.countFiles(owner)]);
    return { messages, files: files.count, bytes: files.bytes };
  }

  /**
   * A page of the user's own messages and files, newest first, with how many there are in all.
   * Items whose key was destroyed (awaiting their purge) are left out.
   */
  async page(organizationId: string, userId: string, offset: number, limit: number): Promise<HistoryPage> {
    const owner = { organizationId, userId };
    const [stored, messages, files, keys] = await Promise.all([
      this.history.historyPage(owner, offset, limit),
      this.history.countMessages(owner),
      this.history.countFiles(owner),
      this.dataKeys.keysOf(userId),
    ]);
    const items: HistoryItem[] = [];
    for (const item of stored) {
      const key = this.content.keyFor(keys, item.dataKeyId);
      if (key === undefined) {
        continue;
      }
      const ref = { kind: item.kind, id: item.id, userId };
      const title = await this.content.readText(
        ref,
        key,
        item.kind === 'file' ? 'file.name' : 'message.subject',
        item.title,
        item.dataKeyId,
      );
      const base = { id: item.id, title, createdAt: item.createdAt };
      items.push(item.kind === 'file' ? { kind: 'file', ...base, sizeBytes: item.sizeBytes ?? 0 } : { kind: 'message', ...base });
    }
    return { items, total: messages + files.count };
  }

  /** The user's own message with its body; another user's or organization's id is not found. */
  async ownMessage(organizationId: string, userId: string, messageId: number): Promise<MessageWithBody> {
    const message = await this.history.ownMessage({ organizationId, userId }, messageId);
    if (!message) {
      throw notFound('Message');
    }
    const ref: ItemRef = { kind: 'message', id: message.id, userId };
    return this.content.openMessage(message, await this.content.keyOf(ref, message.dataKeyId));
  }

  /**
   * The user's own file, its bytes opened and decrypting as a stream. Another user's or
   * organization's id, and a file whose bytes a purge has already deleted, are not found alike.
   */
  async openOwnFile(organizationId: string, userId: string, fileId: number): Promise<FileDownload> {
    const file = await this.history.ownFile({ organizationId, userId }, fileId);
    if (!file) {
      throw notFound('File');
    }
    const ref: ItemRef = { kind: 'file', id: file.id, userId };
    const key = await this.content.keyOf(ref, file.dataKeyId);
    const name = await this.content.readText(ref, key, 'file.name', file.name, file.dataKeyId);
    const stored = await this.openStored(file);
    const content = key === null ? stored : await this.content.openFile(key, stored, file.sizeBytes, ref);
    return { name, sizeBytes: file.sizeBytes, sha256: file.sha256, content };
  }

  private async openStored(file: StoredFile): Promise<Readable> {
    try {
      return await this.storage.openRead(file.storageKey);
    } catch (error) {
      if (error instanceof BlobNotFoundError) {
        throw notFound('File');
      }
      if (error instanceof BlobStoreUnavailableError) {
        this.logger.error({ err: error.cause, fileId: file.id }, 'the file store refused a download');
        throw new DomainError(DomainErrorCode.StorageUnavailable, 'The file store is unavailable. Try again later.');
      }
      throw error;
    }
  }

  private checkUpload(upload: FileUpload): { name: string; declaredSha256: string } {
    const mediaType = upload.contentType?.split(';')[0]?.trim().toLowerCase();
    if (mediaType !== UPLOAD_MEDIA_TYPE) {
      throw new DomainError(DomainErrorCode.UnsupportedMediaType, `Upload the raw bytes as ${UPLOAD_MEDIA_TYPE}.`);
    }
    if (upload.declaredSha256 === undefined || !isContentDigest(upload.declaredSha256)) {
      throw new DomainError(
        DomainErrorCode.InvalidInput,
        `The ${CONTENT_SHA256_HEADER} header must hold the lowercase hex SHA-256 of the content (and is what the request signature covers).`,
      );
    }
    const name = upload.name?.trim();
    if (!name || name.length > 255) {
      throw new DomainError(DomainErrorCode.InvalidInput, 'The name query parameter must hold the file name (1 to 255 characters).');
    }
    if (upload.contentLength !== undefined && upload.contentLength > this.settings.fileStorage.uploadMaxBytes) {
      throw this.tooLarge();
    }
    return { name, declaredSha256: upload.declaredSha256 };
  }

  /**
   * Inside the writing transaction: the owner exists and is active, and (on MySQL) stays so until
   * the write commits. A concurrent deactivation, which updates the user row and then records the
   * purge's cutoffs, therefore either sees the new item or makes this write refuse: an item can
   * never slip in beside a purge that misses it.
   */
  private async lockWritableOwner(organizationId: string, userId: string): Promise<void> {
    const state = await this.history.lockOwner({ organizationId, userId });
    if (state === 'absent') {
      throw notFound('User');
    }
    if (state === 'inactive') {
      throw new DomainError(DomainErrorCode.UserInactive, 'This user is deactivated; their history cannot grow.');
    }
  }

  /** Stores the encrypted stream; `maxBytes` is the encrypted size of the largest plaintext allowed. */
  private async store(storageKey: string, encrypted: Readable): Promise<StoredBlob> {
    try {
      return await this.storage.put(storageKey, encrypted, { maxBytes: encryptedFileSize(this.settings.fileStorage.uploadMaxBytes) });
    } catch (error) {
      if (
        error instanceof BlobDigestMismatchError ||
        (error instanceof BlobSourceInterruptedError && error.cause instanceof BlobDigestMismatchError)
      ) {
        throw new DomainError(DomainErrorCode.InvalidInput, `The content does not match its ${CONTENT_SHA256_HEADER} header.`);
      }
      if (error instanceof BlobSourceInterruptedError) {
        // The client is usually gone; the answer is for the log, the metrics and a client that is not.
        throw new DomainError(
          DomainErrorCode.InvalidInput,
          'The upload stopped before all of its content arrived; nothing was stored. Send it again.',
        );
      }
      if (error instanceof BlobStoreUnavailableError) {
        this.logger.error({ err: error.cause, storageKey }, 'the file store refused an upload');
        throw new DomainError(
          DomainErrorCode.StorageUnavailable,
          'The file store is unavailable; nothing was stored. Send the file again later.',
        );
      }
      throw error instanceof BlobTooLargeError ? this.tooLarge() : error;
    }
  }

  private tooLarge(): DomainError {
    return new DomainError(DomainErrorCode.PayloadTooLarge, `Files may hold at most ${this.settings.fileStorage.uploadMaxBytes} bytes.`);
  }
}
