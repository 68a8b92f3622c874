import { Injectable } from '@nestjs/common';
import { notFound } from '../common/domain-error';
import { DataKey } from '../content-encryption/data-key';
import { DataKeys } from '../content-encryption/data-keys.service';
import { HistoryContent, shredded } from './history-content';
import { cursorAfter, PageRequest } from './history-cursor';
import { FileRecord, MessageWithBody } from './history-records';
import { HistoryOwner, HistoryRepository } from './history.repository';
import { FileDownload, HistoryService } from './history.service';

/** A page of a newest-first list; `nextCursor` null on the last page. */
export type CursorPage<T> = { readonly items: T[]; readonly nextCursor: string | null };

/**
 * A user's history as an administrator reads it back (GET …/messages, …/files, …/content):
 * decrypted, paged by cursor, and 410 once a deactivation destroyed the user's key.
 */
@Injectable()
export class HistoryReader {
  constructor(
    private readonly history: HistoryRepository,
    private readonly dataKeys: DataKeys,
    private readonly content: HistoryContent,
    private readonly service: HistoryService,
  ) {}

  /** The user's messages, newest first. */
  async messages(organizationId: string, userId: string, page: PageRequest): Promise<CursorPage<MessageWithBody>> {
    const owner = await this.readableOwner(organizationId, userId);
    const [rows, keys] = await Promise.all([this.history.messagesPage(owner, page.beforeId, page.limit + 1), this.dataKeys.keysOf(userId)]);
    return this.cursorPage(rows, page.limit, keys, (row, key) => this.content.openMessage(row, key));
  }

  /** The user's files, newest first. */
  async files(organizationId: string, userId: string, page: PageRequest): Promise<CursorPage<FileRecord>> {
    const owner = await this.readableOwner(organizationId, userId);
    const [rows, keys] = await Promise.all([this.history.filesPage(owner, page.beforeId, page.limit + 1), this.dataKeys.keysOf(userId)]);
    return this.cursorPage(rows, page.limit, keys, async (row, key) => ({
      ...row,
      name: await this.content.readText({ kind: 'file', id: row.id, userId }, key, 'file.name', row.name, row.dataKeyId),
    }));
  }

  /** A file's content: as HistoryService.openOwnFile, after the owner checks of the lists. */
  async fileContent(organizationId: string, userId: string, fileId: number): Promise<FileDownload> {
    await this.readableOwner(organizationId, userId);
    return this.service.openOwnFile(organizationId, userId, fileId);
  }

  /**
   * The owner whose history an administrator reads: 404 when there is none in the organization,
   * 410 when they are deactivated and their key was destroyed (crypto-shredded).
   */
  private async readableOwner(organizationId: string, userId: string): Promise<HistoryOwner> {
    const owner = { organizationId, userId };
    const state = await this.history.ownerState(owner);
    if (state === 'absent') {
      throw notFound('User');
    }
    if (state === 'inactive') {
      const destroyedAt = await this.dataKeys.destroyedAt(userId);
      if (destroyedAt) {
        throw shredded(destroyedAt);
      }
    }
    return owner;
  }

  /**
   * One page from `rows` (fetched one past `limit`, to know whether more follow). Items whose key
   * was destroyed (old items awaiting a purge after a reactivation) are left out.
   */
  private async cursorPage<Row extends { id: number; dataKeyId: string | null }, Item>(
    rows: readonly Row[],
    limit: number,
    keys: ReadonlyMap<string, DataKey>,
    open: (row: Row, key: DataKey | null) => Promise<Item>,
  ): Promise<CursorPage<Item>> {
    const page = rows.slice(0, limit);
    const items: Item[] = [];
    for (const row of page) {
      const key = this.content.keyFor(keys, row.dataKeyId);
      if (key !== undefined) {
        items.push(await open(row, key));
      }
    }
    const last = page.at(-1);
    return { items, nextCursor: rows.length > limit && last ? cursorAfter(last.id) : null };
  }
}
