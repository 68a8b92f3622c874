import { pipeline, Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { ContentDecryptionError, ContentFailure } from '../content-encryption/content-errors';
import { DataKey } from '../content-encryption/data-key';
import { DataKeys } from '../content-encryption/data-keys.service';
import { ContentField, openField, sealField } from '../content-encryption/field-cipher';
import { FileDecryptor } from '../content-encryption/file-decryptor';
import { MessageWithBody } from './history-records';
import { StoredMessageWithBody, StoredText } from './history.repository';

/** Which item a failure concerns, for the log (ids only: never content). */
export type ItemRef = { readonly kind: 'message' | 'file'; readonly id: number; readonly userId: string };

const FAILURE_DESCRIPTIONS: Record<ContentFailure, string> = {
  'key-destroyed': 'it is under a data key this user does not have',
  'wrong-key': 'it names another data key than its record',
  tampered: 'it does not authenticate: it was modified',
  truncated: 'it was cut short',
  'unsupported-format': 'it is not in a format this service wrote',
};

/**
 * History content sealed under users' data keys, and opened again: the one place that turns a
 * failure to decrypt into what a caller is told (410 when the key was destroyed, crypto-shredding;
 * 422 for damage) and logs it by item id.
 */
@Injectable()
export class HistoryContent {
  private readonly logger = new Logger(HistoryContent.name);

  constructor(private readonly dataKeys: DataKeys) {}

  seal(key: DataKey, field: ContentField, plaintext: string): Buffer {
    return sealField(key, field, plaintext);
  }

  /** A stored value as text: opened with `key`, or read as it is on a legacy row (`key` null). */
  openText(key: DataKey | null, field: ContentField, stored: StoredText): string {
    if (key === null) {
      return typeof stored === 'string' ? stored : Buffer.from(stored).toString('utf8');
    }
    return openField(key, field, typeof stored === 'string' ? Buffer.from(stored, 'utf8') : stored);
  }

  /** As openText, with a failure turned into what the caller is told (see refusal). */
  async readText(item: ItemRef, key: DataKey | null, field: ContentField, stored: StoredText, dataKeyId: string | null): Promise<string> {
    try {
      return this.openText(key, field, stored);
    } catch (error) {
      throw await this.refusal(error, item, dataKeyId);
    }
  }

  async openMessage(message: StoredMessageWithBody, key: DataKey | null): Promise<MessageWithBody> {
    const item: ItemRef = { kind: 'message', id: message.id, userId: message.userId };
    return {
      id: message.id,
      organizationId: message.organizationId,
      userId: message.userId,
      subject: await this.readText(item, key, 'message.subject', message.subject, message.dataKeyId),
      body: await this.readText(item, key, 'message.body', message.body, message.dataKeyId),
      createdAt: message.createdAt,
    };
  }

  /**
   * The plaintext of an encrypted file as a stream, once its first chunk authenticated (a file
   * of one chunk: once all of it did), so most damage is refused before any byte or header is
   * sent. A later chunk that fails destroys the stream with the error: a reader sees an aborted
   * transfer, never altered or missing bytes passed off as the file.
   */
  async openFile(key: DataKey, stored: Readable, plaintextBytes: number, item: ItemRef): Promise<Readable> {
    let started = false;
    const plaintext = pipeline(stored, new FileDecryptor(key, { expectedPlaintextBytes: plaintextBytes }), (error) => {
      // A reader that stops (a client gone) is no failure of the content.
      if (error && started && !isStoppedByReader(error)) {
        this.logFailure(error, item);
      }
    });
    try {
      await firstBytesOrEnd(plaintext);
    } catch (error) {
      throw await this.refusal(error, item, key.id);
    }
    started = true;
    // Handed on as it is: a wrapper (an async iterator, Readable.from) would copy or re-buffer every chunk.
    return plaintext;
  }

  /** The key a row is under, from keys read for its page; null for a legacy row, undefined when destroyed. */
  keyFor(keys: ReadonlyMap<string, DataKey>, dataKeyId: string | null): DataKey | null | undefined {
    return dataKeyId === null ? null : keys.get(dataKeyId);
  }

  /** The user's key `dataKeyId` (null for a legacy row); refused as shredded or damaged when it is gone. */
  async keyOf(item: ItemRef, dataKeyId: string | null): Promise<DataKey | null> {
    if (dataKeyId === null) {
      return null;
    }
    try {
      return await this.dataKeys.key(item.userId, dataKeyId);
    } catch (error) {
      throw await this.refusal(error, item, dataKeyId);
    }
  }

  /**
   * What to tell a caller about an error opening content: a destroyed key whose tombstone exists
   * means crypto-shredded (410); any other failure is damage (422), logged. Other errors pass.
   */
  async refusal(error: unknown, item: ItemRef, dataKeyId: string | null): Promise<unknown> {
    if (!(error instanceof ContentDecryptionError)) {
      return error;
    }
    if (error.reason === 'key-destroyed' && dataKeyId !== null) {
      const destroyedAt = await this.dataKeys.keyDestroyedAt(item.userId, dataKeyId);
      if (destroyedAt) {
        return shredded(destroyedAt);
      }
    }
    this.logFailure(error, item);
    return new DomainError(
      DomainErrorCode.ContentDamaged,
      `The stored content of ${item.kind} ${item.id} cannot be decrypted (${FAILURE_DESCRIPTIONS[error.reason]}); none of it is returned.`,
    );
  }

  private logFailure(error: unknown, item: ItemRef): void {
    const reason = error instanceof ContentDecryptionError ? error.reason : 'read-failed';
    // The error's message names keys and chunk positions only: no content.
    this.logger.error(
      { kind: item.kind, itemId: item.id, userId: item.userId, reason, err: error },
      'stored history content cannot be decrypted',
    );
  }
}

/** The refusal for content whose data key was destroyed at `destroyedAt`. */
export function shredded(destroyedAt: Date): DomainError {
  return new DomainError(DomainErrorCode.ContentShredded, `The content was crypto-shredded at ${destroyedAt.toISOString()}.`);
}

/**
 * Resolves once the stream holds its first bytes (or ended), rejects with its error: without
 * reading anything, so the stream is handed on whole.
 */
function firstBytesOrEnd(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error): void => {
      stream.off('readable', onReadable);
      stream.off('error', settle);
      if (error) {
        reject(error);
      } else {
        resolve();
      }
    };
    const onReadable = (): void => settle();
    stream.on('readable', onReadable);
    stream.on('error', settle);
  });
}

function isStoppedByReader(error: Error): boolean {
  return (error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE' || error.name === 'AbortError';
}
