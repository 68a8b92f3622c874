import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Message } from '../history/message.entity';
import { StoredFile } from '../history/stored-file.entity';
import { Purge } from './purge.entity';

export type PurgeSubject = { id: string; organizationId: string; userName: string };

/** The entry point of retention for the users domain: record a purge, then hand it to the queue. */
@Injectable()
export class PurgeScheduler {
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
    await manager.getRepository(Purge).insert({
      id: purgeId,
      organizationId: user.organizationId,
      userId: user.id,
      userName: user.userName,
      state: 'pending',
      messageCutoffId: messages.max,
      fileCutoffId: files.max,
      messagesTotal: messages.count,
      filesTotal: files.count,
      nextAttemptAt: new Date(),
    });
    return { purgeId };
  }

  /** After the recording transaction commits: hand the purge to the queue. Never throws. */
  async dispatch(_purgeId: string): Promise<void> {
    // The queue drivers arrive with the retention issue; until then purges wait as recorded.
  }
}

async function maxAndCount(manager: EntityManager, entity: typeof Message | typeof StoredFile, userId: string): Promise<{ max: number; count: number }> {
  const row = await manager
    .getRepository(entity)
    .createQueryBuilder('item')
    .select('MAX(item.id)', 'max')
    .addSelect('COUNT(*)', 'count')
    .where('item.user_id = :userId', { userId })
    .getRawOne<{ max: number | string | null; count: number | string }>();
  return { max: Number(row?.max ?? 0), count: Number(row?.count ?? 0) };
}
