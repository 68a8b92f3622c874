import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { statement } from '../database/statement';

/** The highest id and the number of one user's items of one kind. */
export type ItemScope = { maxId: number; count: number };

type ScopeRow = { max_id: unknown; item_count: unknown };

// Locking reads on MySQL (shared): they see rows committed after the transaction's snapshot was
// taken and block inserts of the user's items until the transaction ends, so a cutoff taken
// here cannot miss an item written concurrently. SQLite's transaction is already the only writer.
const MESSAGES = statement<ScopeRow>(
  'history.purgeScope.messages',
  'SELECT MAX(id) AS max_id, COUNT(*) AS item_count FROM messages WHERE user_id = ?',
  {
    lock: 'share',
  },
);
const FILES = statement<ScopeRow>(
  'history.purgeScope.files',
  'SELECT MAX(id) AS max_id, COUNT(*) AS item_count FROM files WHERE user_id = ?',
  { lock: 'share' },
);

/** The statements behind HistoryPurgeScope. */
@Injectable()
export class HistoryPurgeScopeRepository {
  constructor(private readonly database: Database) {}

  async messagesOf(userId: string): Promise<ItemScope> {
    return toScope(await this.database.first(MESSAGES, [userId]));
  }

  async filesOf(userId: string): Promise<ItemScope> {
    return toScope(await this.database.first(FILES, [userId]));
  }
}

function toScope(row: ScopeRow | null): ItemScope {
  // MAX over no rows is NULL: no item, cutoff 0.
  return { maxId: Number(row?.max_id ?? 0), count: Number(row?.item_count ?? 0) };
}
