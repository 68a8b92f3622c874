import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, Repository } from 'typeorm';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { Settings } from '../config/settings';
import {
  BlobDigestMismatchError,
  BlobSourceInterruptedError,
  BlobStorage,
  BlobStoreUnavailableError,
  BlobTooLargeError,
  StoredBlob,
} from '../storage/blob-storage';
import { User } from '../users/user.entity';
import { CONTENT_SHA256_HEADER, isContentDigest, UPLOAD_MEDIA_TYPE } from './content-digest';
import { lockWritableOwner } from './history-owner';
import { Message } from './message.entity';
import { serializedTransaction } from '../database/serialized-transaction';
import { StoredFile } from './stored-file.entity';

export type FileUpload = {
  name: string | undefined;
  /** The signed SHA-256 the client declared for the content. */
  declaredSha256: string | undefined;
  contentType: string | undefined;
  contentLength: number | undefined;
};

export type HistorySummary = { messages: number; files: number; bytes: number };

/** A user's files and messages: what a purge removes. */
@Injectable()
export class HistoryService {
  private readonly logger = new Logger(HistoryService.name);

  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    @InjectRepository(StoredFile) private readonly files: Repository<StoredFile>,
    private readonly storage: BlobStorage,
    private readonly settings: Settings,
  ) {}

  addMessage(organizationId: string, userId: string, message: { subject: string; body: string }): Promise<Message> {
    return serializedTransaction(this.dataSource, async (manager) => {
      await lockWritableOwner(manager, organizationId, userId);
      const repository = manager.getRepository(Message);
      const { identifiers } = await repository.insert({ organizationId, userId, subject: message.subject, body: message.body });
      return repository.findOneByOrFail({ id: Number(identifiers[0]?.id) });
    });
  }

  /**
   * Streams the content into storage while hashing it, and records the file only when the bytes
   * match the signed digest. Bytes land under `<organization>/<user>/<uuid>`, so one user's bytes
   * can always be found.
   */
  async addFile(organizationId: string, userId: string, upload: FileUpload, content: Readable): Promise<StoredFile> {
    const { name, declaredSha256 } = this.checkUpload(upload);
    // Refuse before reading the body when the owner cannot take it.
    await this.assertWritable(organizationId, userId);
    const storageKey = `${organizationId}/${userId}/${randomUUID()}`;
    const stored = await this.store(storageKey, content, declaredSha256);
    try {
      return await serializedTransaction(this.dataSource, async (manager) => {
        await lockWritableOwner(manager, organizationId, userId);
        const repository = manager.getRepository(StoredFile);
        const { identifiers } = await repository.insert({
          organizationId,
          userId,
          name,
          sizeBytes: String(stored.sizeBytes),
          sha256: stored.sha256,
          storageKey,
        });
        return repository.findOneByOrFail({ id: Number(identifiers[0]?.id) });
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
    if (!(await this.users.existsBy({ id: userId, organizationId, deletedAt: IsNull() }))) {
      throw notFound('User');
    }
    const [messages, files] = await Promise.all([
      this.messages.countBy({ userId, organizationId }),
      this.files
        .createQueryBuilder('file')
        .select('COUNT(*)', 'count')
        .addSelect('COALESCE(SUM(file.size_bytes), 0)', 'bytes')
        .where('file.user_id = :userId AND file.organization_id = :organizationId', { userId, organizationId })
        .getRawOne<{ count: number | string; bytes: number | string }>(),
    ]);
    return { messages, files: Number(files?.count ?? 0), bytes: Number(files?.bytes ?? 0) };
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
    await serializedTransaction(this.dataSource, (manager) => lockWritableOwner(manager, organizationId, userId));
  }

  private async store(storageKey: string, content: Readable, declaredSha256: string): Promise<StoredBlob> {
    try {
      return await this.storage.put(storageKey, content, { maxBytes: this.settings.fileStorage.uploadMaxBytes, sha256: declaredSha256 });
    } catch (error) {
      if (error instanceof BlobSourceInterruptedError) {
        // The client is usually gone; the answer is for the log, the metrics and a client that is not.
        throw new DomainError(DomainErrorCode.InvalidInput, 'The upload stopped before all of its content arrived; nothing was stored. Send it again.');
      }
      if (error instanceof BlobDigestMismatchError) {
        throw new DomainError(DomainErrorCode.InvalidInput, `The content does not match its ${CONTENT_SHA256_HEADER} header.`);
      }
      if (error instanceof BlobStoreUnavailableError) {
        this.logger.error({ err: error.cause, storageKey }, 'the file store refused an upload');
        throw new DomainError(DomainErrorCode.StorageUnavailable, 'The file store is unavailable; nothing was stored. Send the file again later.');
      }
      throw error instanceof BlobTooLargeError ? this.tooLarge() : error;
    }
  }

  private tooLarge(): DomainError {
    return new DomainError(DomainErrorCode.PayloadTooLarge, `Files may hold at most ${this.settings.fileStorage.uploadMaxBytes} bytes.`);
  }
}
