import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Message } from '../../history/message.entity';
import { serializedTransaction } from '../../database/serialized-transaction';
import { StoredFile } from '../../history/stored-file.entity';
import { BlobStorage } from '../../storage/blob-storage';
import { boundInteger } from '../../database/bound-integer';
import { Purge } from '../purge.entity';
import { PurgeRepository } from '../purge.repository';
import { PurgedItemRepository } from '../purged-item.repository';
import { LeaseLostError } from './purge-errors';

export type Lease = { owner: string; leaseMs: number };

/** What one batch did: the rows it looked at, and the files whose bytes would not go. */
export type BatchResult = { seen: number; lastId: number; undeleted: { id: number; reason: string }[] };

/**
 * One bounded batch of a purge, committed on its own: rows deleted, the ledger written and the
 * counters advanced in one transaction, so a crash at any point loses or repeats nothing.
 * Only items of the purge's user with ids up to its cutoffs are touched. Ids are bound (see
 * boundInteger), so every batch of a purge runs the same few statements whatever its ids.
 */
@Injectable()
export class PurgeBatches {
  constructor(
    private readonly dataSource: DataSource,
    private readonly storage: BlobStorage,
    private readonly purges: PurgeRepository,
    private readonly ledger: PurgedItemRepository,
  ) {}

  /**
   * Files with ids after `afterId`: bytes first, then rows. Bytes already gone (deleted by an
   * earlier, interrupted run) count as deleted. Files whose bytes cannot be deleted keep their
   * rows and are reported, so the purge fails visibly and a retry finds them again.
   */
  async deleteFiles(purge: Purge, afterId: number, limit: number, lease: Lease): Promise<BatchResult> {
    const candidates = await this.dataSource
      .getRepository(StoredFile)
      .createQueryBuilder('file')
      .select(['file.id', 'file.storageKey', 'file.sizeBytes'])
      .where('file.user_id = :userId AND file.organization_id = :organizationId', { userId: purge.userId, organizationId: purge.organizationId })
      .andWhere('file.id > :afterId AND file.id <= :cutoff', { afterId: boundInteger(afterId), cutoff: boundInteger(purge.fileCutoffId) })
      .orderBy('file.id', 'ASC')
      .limit(limit)
      .getMany();
    if (candidates.length === 0) {
      return { seen: 0, lastId: afterId, undeleted: [] };
    }
    const failures = await this.storage.deleteMany(candidates.map((file) => file.storageKey));
    const undeleted: BatchResult['undeleted'] = [];
    const bytesGone: number[] = [];
    candidates.forEach(({ id, storageKey }) => {
      const reason = failures.get(storageKey);
      if (reason !== undefined) {
        undeleted.push({ id, reason });
      } else {
        bytesGone.push(id);
      }
    });
    await this.inBatchTransaction(purge, lease, async (manager) => {
      const present = await lockPresent(manager, StoredFile, bytesGone);
      if (present.length > 0) {
        await deleteByIds(manager, StoredFile, present.map((file) => file.id));
        await this.ledger.record(manager, purge.id, 'file', present);
        const bytes = present.reduce((sum, file) => sum + Number(file.sizeBytes), 0);
        await this.purges.addDeleted(manager, purge.id, { files: present.length, messages: 0, bytes });
      }
    });
    return { seen: candidates.length, lastId: candidates[candidates.length - 1].id, undeleted };
  }

  /** The next messages up to the cutoff, deleted in one statement. */
  async deleteMessages(purge: Purge, limit: number, lease: Lease): Promise<number> {
    let deleted = 0;
    await this.inBatchTransaction(purge, lease, async (manager) => {
      const query = manager
        .getRepository(Message)
        .createQueryBuilder('message')
        .select(['message.id'])
        .where('message.user_id = :userId AND message.organization_id = :organizationId', { userId: purge.userId, organizationId: purge.organizationId })
        .andWhere('message.id <= :cutoff', { cutoff: boundInteger(purge.messageCutoffId) })
        .orderBy('message.id', 'ASC')
        .limit(limit);
      lockForUpdate(manager, query);
      const batch = await query.getMany();
      if (batch.length > 0) {
        await deleteByIds(manager, Message, batch.map((message) => message.id));
        await this.ledger.record(manager, purge.id, 'message', batch.map((message) => ({ id: message.id, sizeBytes: '0' })));
        await this.purges.addDeleted(manager, purge.id, { files: 0, messages: batch.length, bytes: 0 });
      }
      deleted = batch.length;
    });
    return deleted;
  }

  private async inBatchTransaction(purge: Purge, lease: Lease, work: (manager: EntityManager) => Promise<void>): Promise<void> {
    await serializedTransaction(this.dataSource, async (manager) => {
      if (!(await this.purges.renewLease(manager, purge.id, lease.owner, lease.leaseMs))) {
        throw new LeaseLostError(purge.id);
      }
      await work(manager);
    });
  }
}

/**
 * The rows among `ids` that still exist, locked until commit on MySQL: two purges of the same user
 * (deactivated, reactivated, deactivated again) never both record the same deletion.
 */
async function lockPresent(manager: EntityManager, entity: typeof StoredFile, ids: number[]): Promise<{ id: number; sizeBytes: string }[]> {
  if (ids.length === 0) {
    return [];
  }
  const query = manager.getRepository(entity).createQueryBuilder('file').select(['file.id', 'file.sizeBytes']).where('file.id IN (:...ids)', { ids });
  lockForUpdate(manager, query);
  return query.getMany();
}

/** `IN (:...ids)` binds every id (an `In()` find operator would write them into the SQL on SQLite). */
async function deleteByIds(manager: EntityManager, entity: typeof StoredFile | typeof Message, ids: number[]): Promise<void> {
  await manager.createQueryBuilder().delete().from(entity).where('id IN (:...ids)', { ids }).execute();
}

function lockForUpdate<T extends ObjectLiteral>(manager: EntityManager, query: SelectQueryBuilder<T>): void {
  // SQLite has one writer at a time, and the batch transaction already is it.
  if (manager.connection.options.type !== 'better-sqlite3') {
    query.setLock('pessimistic_write');
  }
}
