import { randomUUID } from 'node:crypto';
import { Database } from '../../../src/database/database';
import { statement } from '../../../src/database/statement';

const INSERT_ORGANIZATION = statement('test.owners.insertOrganization', 'INSERT INTO organizations (id, name, hostname) VALUES (?, ?, ?)');
const INSERT_USER = statement(
  'test.owners.insertUser',
  'INSERT INTO users (id, organization_id, user_name, user_name_normalized, active) VALUES (?, ?, ?, ?, ?)',
);
const INSERT_MESSAGE = statement(
  'test.owners.insertMessage',
  'INSERT INTO messages (organization_id, user_id, subject, body) VALUES (?, ?, ?, ?)',
);
const INSERT_FILE = statement(
  'test.owners.insertFile',
  'INSERT INTO files (organization_id, user_id, name, size_bytes, sha256, storage_key) VALUES (?, ?, ?, ?, ?, ?)',
);
const IDS = {
  messages: statement<{ id: unknown }>('test.owners.messageIds', 'SELECT id FROM messages WHERE user_id = ? ORDER BY id'),
  files: statement<{ id: unknown }>('test.owners.fileIds', 'SELECT id FROM files WHERE user_id = ? ORDER BY id'),
};

export type Owner = { organizationId: string; userId: string };

/** A new organization; its users are added with `addUser`. */
export async function addOrganization(database: Database): Promise<string> {
  const organizationId = randomUUID();
  await database.run(INSERT_ORGANIZATION, [organizationId, 'History owners', `${organizationId}.example`]);
  return organizationId;
}

export async function addUser(database: Database, organizationId: string, active = true): Promise<Owner> {
  const userId = randomUUID();
  await database.run(INSERT_USER, [userId, organizationId, `${userId}@example.com`, `${userId}@example.com`, active]);
  return { organizationId, userId };
}

/** Rows only, as a seed: returns the new ids. */
export async function addMessages(database: Database, owner: Owner, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let index = 0; index < count; index += 1) {
    ids.push((await database.run(INSERT_MESSAGE, [owner.organizationId, owner.userId, `s${index}`, 'b'])).insertId);
  }
  return ids;
}

/** Rows only (their bytes are not stored): returns the new ids. */
export async function addFiles(database: Database, owner: Owner, count: number, sizeBytes = 100): Promise<number[]> {
  const ids: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const key = `${owner.organizationId}/${owner.userId}/${randomUUID()}`;
    ids.push(
      (await database.run(INSERT_FILE, [owner.organizationId, owner.userId, `f${index}`, sizeBytes + index, 'a'.repeat(64), key])).insertId,
    );
  }
  return ids;
}

export async function idsOf(database: Database, kind: 'messages' | 'files', userId: string): Promise<number[]> {
  return (await database.rows(IDS[kind], [userId])).map((row) => Number(row.id));
}
