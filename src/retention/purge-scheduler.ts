import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Message } from '../history/message.entity';
import { StoredFile } from '../history/stored-file.entity';
import { boundIntegerColumn } from '../database/bound-integer';
import { Purge } from './purge.entity';
import { PurgeRepository } from './purge.repository';
import { PurgeQueue } from './queue/purge-queue';

export type PurgeSubject = { id: string; organizationId: string; userName: string };

/** The entry point of retention for the users domain: record a purge, then hand it to the queue. */
@Injectable()
export class PurgeScheduler {
  private readonly logger = new Logger(PurgeScheduler.name);

  constructor(
    private readonly purges: PurgeRepository,
    private readonly queue: PurgeQueue,
  ) {}

  /**
   * Writes the durable purge record inside the caller's (deactivation) transaction, with the
   * cutoffs that fix exactly which items it will delete.
   *
   * A user reactivated and deactivated again before their earlier purge completed has that purge
   * taken over here: it ends `merged` into this one, and its deleted items count in this one's
   * totals, progress and receipt. The new cutoffs cover whatever the earlier purge had left (the
   * same user's ids only grow), so nothing of its scope is lost; and since the earlier purge is
   * stopped before the user's items are counted, no item is counted by one purge and deleted by
   * the other: every receipt adds up, N of N.
   */
  async record(manager: EntityManager, user: PurgeSubject): Promise<{ purgeId: string }> {
    const purgeId = randomUUID();
    const taken = await this.purges.lockOpenForUser(manager, user.id);
    const carried = taken.reduce(
      (sum, purge) => ({ files: sum.files + purge.filesDeleted, messages: sum.messages + purge.messagesDeleted, bytes: sum.bytes + Number(purge.bytesDeleted) }),
      { files: 0, messages: 0, bytes: 0 },
    );
    const [messages, files] = await Promise.all([
      maxAndCount(manager, Message, user.id),
      maxAndCount(manager, StoredFile, user.id),
    ]);
    // Set here rather than by the column default, which on SQLite keeps only whole seconds.
    const requestedAt = new Date();
    await manager.getRepository(Purge).insert({
      id: purgeId,
      organizationId: user.organizationId,
      userId: user.id,
      userName: user.userName,
      state: 'pending',
      // Bound, so every deactivation runs the same INSERT (see boundInteger).
      messageCutoffId: boundIntegerColumn(messages.max),
      fileCutoffId: boundIntegerColumn(files.max),
      messagesTotal: boundIntegerColumn(messages.count + carried.messages),
      filesTotal: boundIntegerColumn(files.count + carried.files),
      messagesDeleted: boundIntegerColumn(carried.messages),
      filesDeleted: boundIntegerColumn(carried.files),
      bytesDeleted: String(carried.bytes),
      requestedAt,
      nextAttemptAt: requestedAt,
    });
    const merged = taken.map((purge) => purge.id);
    await this.purges.mergeInto(manager, merged, purgeId);
    this.logger.log({ purgeId, userId: user.id, messages: messages.count, files: files.count, merged }, 'purge recorded');
    return { purgeId };
  }

  /**
   * Call after the recording transaction commits: hands the purge to the queue. Never throws and
   * never waits long: if the queue is unreachable (a Redis outage) the purge stays pending, durable,
   * and a worker's reconciler dispatches it once the queue is back.
   */
  async dispatch(purgeId: string): Promise<void> {
    try {
      const purge = await this.purges.findById(purgeId);
      if (!purge || purge.state === 'completed' || purge.state === 'merged') {
        return;
      }
      await this.queue.enqueue({ purgeId, attempt: purge.attempts });
    } catch (error) {
      this.logger.warn({ purgeId, reason: error instanceof Error ? error.message : String(error) }, 'purge not dispatched; it stays pending for the reconciler');
    }
  }
}

/**
 * The user's highest item id and item count. On MySQL a locking read: it sees rows committed
 * after this transaction's snapshot was taken and blocks inserts of the user's items until the
 * deactivation commits, so the cutoff cannot miss an item written concurrently.
 */
async function maxAndCount(manager: EntityManager, entity: typeof Message | typeof StoredFile, userId: string): Promise<{ max: number; count: number }> {
  const query = manager
    .getRepository(entity)
    .createQueryBuilder('item')
    .select('MAX(item.id)', 'max')
    .addSelect('COUNT(*)', 'count')
    .where('item.user_id = :userId', { userId });
  if (manager.connection.options.type !== 'better-sqlite3') {
    query.setLock('pessimistic_read');
  }
  const row = await query.getRawOne<{ max: number | string | null; count: number | string }>();
  return { max: Number(row?.max ?? 0), count: Number(row?.count ?? 0) };
}
