import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { ServerKeyRing } from '../secrets/server-key-ring';
import { ContentTamperedError } from './content-errors';
import { unwrapDataKey, wrapDataKey } from './data-key-wrapping';
import { DataKeyRepository } from './data-key.repository';

/** A data key a rotation had to leave under its old server key. */
export type SkippedDataKey = { id: string; serverKeyId: string; reason: 'server-key-not-configured' | 'does-not-authenticate' };

export type RewrapBatch = {
  /** Where the next batch starts; null when no key was left to look at. */
  readonly lastId: string | null;
  readonly rewrapped: number;
  /** Destroyed or re-wrapped by someone else between the read and the write. */
  readonly changed: number;
  readonly skipped: readonly SkippedDataKey[];
};

/** Moves data keys from previous server keys to the current one, a batch per transaction. */
@Injectable()
export class DataKeyRotation {
  constructor(
    private readonly database: Database,
    private readonly repository: DataKeyRepository,
    private readonly serverKeys: ServerKeyRing,
  ) {}

  /** How many data keys each server key other than the current one still wraps. */
  async notUnderCurrentKey(): Promise<Map<string, number>> {
    const counts = await this.repository.countByServerKey();
    counts.delete(this.serverKeys.current.id);
    return counts;
  }

  /**
   * Re-wraps up to `limit` keys (ids after `afterId`) under the current server key, in one
   * transaction: an interruption loses nothing, and a re-run starts from what is left.
   */
  async rewrapBatch(afterId: string, limit: number): Promise<RewrapBatch> {
    const current = this.serverKeys.current;
    return this.database.transaction(async () => {
      const keys = await this.repository.lockNotUnderServerKey(current.id, afterId, limit);
      let rewrapped = 0;
      let changed = 0;
      const skipped: SkippedDataKey[] = [];
      for (const key of keys) {
        const previous = this.serverKeys.find(key.serverKeyId);
        if (!previous) {
          skipped.push({ id: key.id, serverKeyId: key.serverKeyId, reason: 'server-key-not-configured' });
          continue;
        }
        let raw: Buffer;
        try {
          raw = unwrapDataKey(previous, key.id, key.userId, key.wrappedKey);
        } catch (error) {
          if (error instanceof ContentTamperedError) {
            skipped.push({ id: key.id, serverKeyId: key.serverKeyId, reason: 'does-not-authenticate' });
            continue;
          }
          throw error;
        }
        try {
          const wrapped = wrapDataKey(current, key.id, key.userId, raw);
          if (await this.repository.rewrap(key, current.id, wrapped)) {
            rewrapped += 1;
          } else {
            changed += 1;
          }
        } finally {
          raw.fill(0);
        }
      }
      return { lastId: keys.at(-1)?.id ?? null, rewrapped, changed, skipped };
    });
  }
}
