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
   */
  async record(manager: EntityManager, user: PurgeSubject): Promise<{ purgeId: string }> {
    const [messages, files] = await Promise.all([
      maxAndCount(manager, Message, user.id),
      maxAndCount(manager, StoredFile, user.id),
    ]);
    const purgeId = randomUUID();
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
      messagesTotal: boundIntegerColumn(messages.count),
      filesTotal: boundIntegerColumn(files.count),
      requestedAt,
      nextAttemptAt: requestedAt,
    });
    this.logger.log({ purgeId, userId: user.id, messages: messages.count, files: files.count }, 'purge recorded');
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
      if (!purge || purge.state === 'completed') {
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
