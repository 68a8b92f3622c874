import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { Settings } from '../config/settings';
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
import { FileRecord, HistoryItem, HistoryRepository, MessageRecord, MessageWithBody } from './history.repository';

export type FileUpload = {
  name: string | undefined;
  /** The signed SHA-256 the client declared for the content. */
  declaredSha256: string | undefined;
  contentType: string | undefined;
  contentLength: number | undefined;
};

export type HistorySummary = { messages: number; files: number; bytes: number };

export type HistoryPage = { readonly items: HistoryItem[]; readonly total: number };

/** A file's bytes, opened for its owner. */
export type FileDownload = { readonly name: string; readonly sizeBytes: number; readonly content: Readable };

/** A user's files and messages: what a purge removes. */
@Injectable()
export class HistoryService {
  private readonly logger = new Logger(HistoryService.name);

  constructor(
    private readonly database: Database,
    private readonly history: HistoryRepository,
    private readonly storage: BlobStorage,
    private readonly settings: Settings,
  ) {}

  addMessage(organizationId: string, userId: string, message: { subject: string; body: string }): Promise<MessageRecord> {
    return this.database.transaction(async () => {
      await this.lockWritableOwner(organizationId, userId);
      return this.history.insertMessage({ organizationId, userId, subject: message.subject, body: message.body });
    });
  }

  /**
   * Streams the content into storage while hashing it, and records the file only when the bytes
   * match the signed digest. Bytes land under `<organization>/<user>/<uuid>`, so one user's bytes
   * can always be found.
   */
  async addFile(organizationId: string, userId: string, upload: FileUpload, content: Readable): Promise<FileRecord> {
    const { name, declaredSha256 } = this.checkUpload(upload);
    // Refuse before reading the body when the owner cannot take it.
    await this.assertWritable(organizationId, userId);
    const storageKey = `${organizationId}/${userId}/${randomUUID()}`;
    const stored = await this.store(storageKey, content, declaredSha256);
    try {
      return await this.database.transaction(async () => {
        await this.lockWritableOwner(organizationId, userId);
        return this.history.insertFile({ organizationId, userId, name, sizeBytes: stored.sizeBytes, sha256: stored.sha256, storageKey });
      });
    } catch (error) {
      // No row, so no bytes: nothing may remain that a purge would not find.
      await this.storage.delete(storageKey).catch((cleanupError: unknown) => {
        this.logger.error({ err: cleanupError, storageKey }, 'could not remove the bytes of a refused upload');
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

  /** A page of the user's own messages and files, newest first, with how many there are in all. */
  async page(organizationId: string, userId: string, offset: number, limit: number): Promise<HistoryPage> {
    const owner = { organizationId, userId };
    const [items, messages, files] = await Promise.all([
      this.history.historyPage(owner, offset, limit),
      this.history.countMessages(owner),
      this.history.countFiles(owner),
    ]);
    return { items, total: messages + files.count };
  }

  /** The user's own message with its body; another user's or organization's id is not found. */
  async ownMessage(organizationId: string, userId: string, messageId: number): Promise<MessageWithBody> {
    const message = await this.history.ownMessage({ organizationId, userId }, messageId);
    if (!message) {
      throw notFound('Message');
    }
    return message;
  }

  /**
   * The user's own file, its bytes opened as a stream. Another user's or organization's id, and a
   * file whose bytes a purge has already deleted, are not found alike.
   */
  async openOwnFile(organizationId: string, userId: string, fileId: number): Promise<FileDownload> {
    const file = await this.history.ownFile({ organizationId, userId }, fileId);
    if (!file) {
      throw notFound('File');
    }
    try {
      return { name: file.name, sizeBytes: file.sizeBytes, content: await this.storage.openRead(file.storageKey) };
    } catch (error) {
      if (error instanceof BlobNotFoundError) {
        throw notFound('File');
      }
      if (error instanceof BlobStoreUnavailableError) {
        this.logger.error({ err: error.cause, fileId }, 'the file store refused a download');
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

  private async assertWritable(organizationId: string, userId: string): Promise<void> {
    await this.database.transaction(() => this.lockWritableOwner(organizationId, userId));
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

  private async store(storageKey: string, content: Readable, declaredSha256: string): Promise<StoredBlob> {
    try {
      return await this.storage.put(storageKey, content, { maxBytes: this.settings.fileStorage.uploadMaxBytes, sha256: declaredSha256 });
    } catch (error) {
      if (error instanceof BlobSourceInterruptedError) {
        // The client is usually gone; the answer is for the log, the metrics and a client that is not.
        throw new DomainError(
          DomainErrorCode.InvalidInput,
          'The upload stopped before all of its content arrived; nothing was stored. Send it again.',
        );
      }
      if (error instanceof BlobDigestMismatchError) {
        throw new DomainError(DomainErrorCode.InvalidInput, `The content does not match its ${CONTENT_SHA256_HEADER} header.`);
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
