import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { ServerKeyNotConfiguredError, ServerKeyRing } from '../secrets/server-key-ring';
import { DataKeyDestroyedError } from './content-errors';
import { DATA_KEY_BYTES, DataKey, DestroyedDataKey } from './data-key';
import { unwrapDataKey, wrapDataKey } from './data-key-wrapping';
import { DataKeyRepository, WrappedDataKey } from './data-key.repository';

/**
 * The lifecycle of users' data keys: one current key per user that new content is encrypted
 * under, older ones kept only while content under them awaits a held purge, and destruction.
 * Every method joins the caller's transaction (or runs in its own).
 *
 * Keys are unwrapped from their row on every use, never served from a cache: the row's existence
 * is what proves a key was not destroyed, in this process or any other, and unwrapping costs
 * little next to reading the row (see `npm run bench:encryption`).
 */
@Injectable()
export class DataKeys {
  constructor(
    private readonly database: Database,
    private readonly repository: DataKeyRepository,
    private readonly serverKeys: ServerKeyRing,
  ) {}

  /**
   * The user's current key, created with 256 random bits on first use. Two first uses at once
   * create one key: the unique index refuses the second, which then reads the first. The caller
   * must hold what proves the user may still get content (the owner's lock, in the transaction
   * that stores the content), so a key is never created after the user's deactivation destroyed theirs.
   */
  async currentKey(userId: string): Promise<DataKey> {
    return this.database.transaction(async () => {
      const existing = await this.repository.current(userId, { locked: false });
      if (existing) {
        return this.unwrap(existing);
      }
      const id = randomUUID();
      const raw = randomBytes(DATA_KEY_BYTES);
      try {
        const serverKey = this.serverKeys.current;
        const wrapped: WrappedDataKey = { id, userId, serverKeyId: serverKey.id, wrappedKey: wrapDataKey(serverKey, id, userId, raw) };
        if (await this.repository.insertCurrent(wrapped, new Date())) {
          return new DataKey(id, userId, createSecretKey(raw));
        }
      } finally {
        raw.fill(0);
      }
      const winner = await this.repository.current(userId, { locked: true });
      if (!winner) {
        throw new Error(`user ${userId} has no current data key although creating one conflicted`);
      }
      return this.unwrap(winner);
    });
  }

  /** The user's key of this id; DataKeyDestroyedError when it was destroyed (or was never theirs). */
  async key(userId: string, keyId: string): Promise<DataKey> {
    const wrapped = await this.repository.byId(userId, keyId);
    if (!wrapped) {
      throw new DataKeyDestroyedError(userId, keyId);
    }
    return this.unwrap(wrapped);
  }

  /** Every key the user has, by id, in one read: for a page of items under one or a few keys. */
  async keysOf(userId: string): Promise<ReadonlyMap<string, DataKey>> {
    const keys = (await this.repository.ofUser(userId)).map((wrapped) => this.unwrap(wrapped));
    return new Map(keys.map((key) => [key.id, key]));
  }

  /**
   * Inside the transaction that stores content encrypted under `keyId`: true when the key still
   * exists, and then it stays so until that transaction ends (a shared lock on its row). Content
   * stored under a key destroyed meanwhile could never be read, nor would a purge of the
   * deactivation that destroyed it be sure to find it.
   */
  async holdKey(userId: string, keyId: string): Promise<boolean> {
    return this.repository.existsLocked(userId, keyId);
  }

  /** When the user's key `keyId` was destroyed; null when no key of theirs by that id ever was. */
  async keyDestroyedAt(userId: string, keyId: string): Promise<Date | null> {
    return this.repository.tombstone(userId, keyId);
  }

  /** When the user's most recent key destruction was; null when none of their keys was destroyed. */
  async destroyedAt(userId: string): Promise<Date | null> {
    return this.repository.latestTombstone(userId);
  }

  /**
   * Stops the user's current key being used for new content, without destroying it: for a purge
   * that is held, which destroys it later (destroyKeys). The next currentKey() creates a new one.
   * Returns the retired key's id, or null when the user had no current key.
   */
  async retireCurrentKey(userId: string): Promise<string | null> {
    return this.database.transaction(async () => {
      const current = await this.repository.current(userId, { locked: true });
      return current && (await this.repository.retire(userId, current.id, new Date())) ? current.id : null;
    });
  }

  /**
   * For a purge that keeps the content a while: retires the user's current key (retireCurrentKey)
   * and returns the ids of every key the user has, retired ones included, locked until the
   * caller's transaction ends. The purge destroys exactly these when it runs.
   */
  async retireAllKeys(userId: string): Promise<string[]> {
    return this.database.transaction(async () => {
      await this.retireCurrentKey(userId);
      return (await this.repository.lockOfUser(userId)).map((key) => key.id);
    });
  }

  /**
   * Destroys every key of the user: from the commit on, nothing they encrypted can be read. Each
   * destroyed key leaves a tombstone (id, user, time), in the same transaction, so a reader can
   * say when content was crypto-shredded.
   */
  async destroyUserKeys(userId: string): Promise<DestroyedDataKey[]> {
    return this.destroy(userId, () => true);
  }

  /** Destroys the user's keys of these ids that still exist (a re-run destroys nothing twice). */
  async destroyKeys(userId: string, keyIds: readonly string[]): Promise<DestroyedDataKey[]> {
    const wanted = new Set(keyIds);
    return this.destroy(userId, (keyId) => wanted.has(keyId));
  }

  private async destroy(userId: string, chosen: (keyId: string) => boolean): Promise<DestroyedDataKey[]> {
    return this.database.transaction(async () => {
      const destroyedAt = new Date();
      const destroyed: DestroyedDataKey[] = [];
      for (const key of await this.repository.lockOfUser(userId)) {
        if (chosen(key.id) && (await this.repository.delete(userId, key.id))) {
          await this.repository.insertTombstone(userId, key.id, destroyedAt);
          destroyed.push({ id: key.id, createdAt: key.createdAt, destroyedAt });
        }
      }
      return destroyed;
    });
  }

  private unwrap(wrapped: WrappedDataKey): DataKey {
    const serverKey = this.serverKeys.find(wrapped.serverKeyId);
    if (!serverKey) {
      throw new ServerKeyNotConfiguredError(wrapped.serverKeyId, `data key ${wrapped.id}`);
    }
    const raw = unwrapDataKey(serverKey, wrapped.id, wrapped.userId, wrapped.wrappedKey);
    try {
      return new DataKey(wrapped.id, wrapped.userId, createSecretKey(raw));
    } finally {
      raw.fill(0);
    }
  }
}
