import { Injectable } from '@nestjs/common';
import { HistoryPurgeScopeRepository, ItemScope } from './history-purge-scope.repository';

export type { ItemScope } from './history-purge-scope.repository';
export type PurgeScope = { messages: ItemScope; files: ItemScope };

/**
 * What a purge of a user will delete, fixed when it is recorded: the user's highest message and
 * file ids (the cutoffs) and how many there are. Items added later (after a reactivation) are not
 * in it, as ids only grow.
 */
@Injectable()
export class HistoryPurgeScope {
  constructor(private readonly items: HistoryPurgeScopeRepository) {}

  /** Inside the caller's transaction, which it keeps from missing items written concurrently (a locking read on MySQL). */
  async scopeOf(userId: string): Promise<PurgeScope> {
    const messages = await this.items.messagesOf(userId);
    const files = await this.items.filesOf(userId);
    return { messages, files };
  }
}
