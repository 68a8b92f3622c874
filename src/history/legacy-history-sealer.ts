import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataKey } from '../content-encryption/data-key';
import { DataKeys } from '../content-encryption/data-keys.service';
import { encryptedFileSize } from '../content-encryption/file-format';
import { Database } from '../database/database';
import { BlobStorage } from '../storage/blob-storage';
import { EncryptingUpload } from './encrypting-upload';
import { HistoryContent } from './history-content';
import { HistoryOwner, HistoryRepository } from './history.repository';
import { LegacyFile, LegacyHistoryRepository, LegacyItem } from './legacy-history.repository';

export type LegacySealProgress = { readonly stage: 'messages' | 'files'; readonly done: number; readonly total: number };

/** Per kind: sealed now, and left as they are (the owner is deactivated and the purge will delete them, or the bytes are gone or damaged). */
export type LegacySealCounts = { sealed: number; left: number };

export type LegacySealReport = {
  readonly messages: LegacySealCounts;
  readonly files: LegacySealCounts;
  /** Legacy rows still there after the run (those left; a re-run picks up any others). */
  readonly remaining: { readonly messages: number; readonly files: number };
};

/**
 * Seals history rows written before content was encrypted, under their owner's current data key:
 * message text in place; a file's bytes re-encrypted into new storage, its row switched to them
 * (checked against the recorded SHA-256 on the way), the plaintext bytes deleted after the commit.
 * One item per transaction, each conditional on the row still being legacy and its owner active,
 * so it can be interrupted at any point and run again, while the service serves. A deactivated
 * owner's rows are left to their purge: no key is ever made for a deactivated user.
 */
@Injectable()
export class LegacyHistorySealer {
  private readonly logger = new Logger(LegacyHistorySealer.name);

  constructor(
    private readonly database: Database,
    private readonly legacy: LegacyHistoryRepository,
    private readonly history: HistoryRepository,
    private readonly dataKeys: DataKeys,
    private readonly content: HistoryContent,
    private readonly storage: BlobStorage,
  ) {}

  async seal(batchSize: number, onProgress: (progress: LegacySealProgress) => void): Promise<LegacySealReport> {
    const totals = await this.legacy.count();
    const messages = await this.each(
      'messages',
      totals.messages,
      batchSize,
      onProgress,
      (after, limit) => this.legacy.messagesAfter(after, limit),
      (item) => this.sealMessage(item),
    );
    const files = await this.each(
      'files',
      totals.files,
      batchSize,
      onProgress,
      (after, limit) => this.legacy.filesAfter(after, limit),
      (file) => this.sealFile(file),
    );
    return { messages, files, remaining: await this.legacy.count() };
  }

  private async each<T extends LegacyItem>(
    stage: LegacySealProgress['stage'],
    total: number,
    batchSize: number,
    onProgress: (progress: LegacySealProgress) => void,
    next: (afterId: number, limit: number) => Promise<T[]>,
    seal: (item: T) => Promise<boolean>,
  ): Promise<LegacySealCounts> {
    const counts = { sealed: 0, left: 0 };
    onProgress({ stage, done: 0, total });
    for (let afterId = 0; ;) {
      const batch = await next(afterId, batchSize);
      if (batch.length === 0) {
        return counts;
      }
      for (const item of batch) {
        if (await seal(item)) {
          counts.sealed += 1;
        } else {
          counts.left += 1;
        }
        afterId = item.id;
      }
      const done = counts.sealed + counts.left;
      onProgress({ stage, done, total: Math.max(total, done) });
    }
  }

  private sealMessage(item: LegacyItem): Promise<boolean> {
    return this.database.transaction(async () => {
      const key = await this.keyOfActiveOwner(item);
      const text = key && (await this.legacy.lockMessage(item.id));
      if (!key || !text) {
        return false;
      }
      return this.legacy.sealMessage(item.id, {
        subject: this.content.seal(key, 'message.subject', this.content.openText(null, 'message.subject', text.subject)),
        body: this.content.seal(key, 'message.body', this.content.openText(null, 'message.body', text.body)),
        dataKeyId: key.id,
      });
    });
  }

  private async sealFile(file: LegacyFile): Promise<boolean> {
    const key = await this.database.transaction(() => this.keyOfActiveOwner(file));
    if (!key) {
      return false;
    }
    const storageKey = `${file.organizationId}/${file.userId}/${randomUUID()}`;
    try {
      const plaintext = await this.storage.openRead(file.storageKey);
      await this.storage.put(storageKey, EncryptingUpload.of(plaintext, key, file.sha256), { maxBytes: encryptedFileSize(file.sizeBytes) });
    } catch (error) {
      // Gone (a purge got there first) or not matching its recorded digest: left as it is.
      this.logger.warn({ err: error, fileId: file.id }, 'a legacy file could not be re-encrypted; left as it is');
      return false;
    }
    const switched = await this.database
      .transaction(async () => {
        const current = await this.keyOfActiveOwner(file);
        const name =
          current?.id === key.id &&
          (await this.dataKeys.holdKey(file.userId, key.id)) &&
          (await this.legacy.lockFile(file.id, file.storageKey));
        if (!name) {
          return false;
        }
        const sealedName = this.content.seal(key, 'file.name', this.content.openText(null, 'file.name', name));
        const sealed = await this.legacy.sealFile(file.id, file.storageKey, { name: sealedName, dataKeyId: key.id, storageKey });
        if (sealed) {
          await this.database.afterCommit(() => this.deleteBytes(file.storageKey, file.id));
        }
        return sealed;
      })
      .catch(async (error: unknown) => {
        await this.deleteBytes(storageKey, file.id);
        throw error;
      });
    if (!switched) {
      await this.deleteBytes(storageKey, file.id);
    }
    return switched;
  }

  /** Under the owner's lock: their current key, or null when they are not active (their rows await a purge). */
  private async keyOfActiveOwner(owner: HistoryOwner): Promise<DataKey | null> {
    return (await this.history.lockOwner(owner)) === 'active' ? this.dataKeys.currentKey(owner.userId) : null;
  }

  private async deleteBytes(storageKey: string, fileId: number): Promise<void> {
    await this.storage.delete(storageKey).catch((error: unknown) => {
      // Bytes no row refers to: the orphan sweep removes them.
      this.logger.error({ err: error, fileId, storageKey }, 'could not delete bytes a legacy file no longer uses');
    });
  }
}
