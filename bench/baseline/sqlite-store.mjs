// Baseline data access on SQLite: better-sqlite3 prepared statements, same pragmas as the product
// (WAL, synchronous=NORMAL, foreign keys, 5 s busy timeout), on the schema the product's migrations made.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3');

const USER_COLUMNS =
  'id, user_name, user_name_normalized, email, given_name, family_name, external_id, active, created_at, updated_at, version';

/** TypeORM's better-sqlite3 date format: UTC `YYYY-MM-DD HH:MM:SS.mmm`. */
const toSql = (date) => date.toISOString().replace('T', ' ').replace('Z', '');
const fromSql = (text) => new Date(`${String(text).replace(' ', 'T')}${String(text).endsWith('Z') ? '' : 'Z'}`);

function hydrate(row) {
  if (!row) {
    return null;
  }
  row.created_at = fromSql(row.created_at);
  row.updated_at = fromSql(row.updated_at);
  return row;
}

export function createSqliteStore(file) {
  const db = new Database(file, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');

  const byId = db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE id = ? AND organization_id = ? AND deleted_at IS NULL`);
  const byUserName = db.prepare(
    `SELECT ${USER_COLUMNS} FROM users WHERE organization_id = ? AND user_name_normalized = ? AND deleted_at IS NULL ORDER BY created_at, id`,
  );
  const insertUser = db.prepare(
    `INSERT INTO users (id, organization_id, user_name, user_name_normalized, email, given_name, family_name, external_id, active, role, created_at, updated_at, version)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'user', ?, ?, 1)`,
  );
  const updateProfile = db.prepare(
    'UPDATE users SET given_name = ?, family_name = ?, active = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?',
  );
  const wipeProfile = db.prepare(
    'UPDATE users SET active = 0, given_name = NULL, family_name = NULL, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?',
  );
  const messageCutoff = db.prepare('SELECT MAX(id) AS max, COUNT(*) AS count FROM messages WHERE user_id = ?');
  const fileCutoff = db.prepare('SELECT MAX(id) AS max, COUNT(*) AS count FROM files WHERE user_id = ?');
  const revokeCredentials = db.prepare(
    'UPDATE scim_credentials SET revoked_at = ? WHERE revoked_at IS NULL AND api_key_id IN (SELECT id FROM api_keys WHERE owner_user_id = ?)',
  );
  const revokeKeys = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE owner_user_id = ? AND revoked_at IS NULL');
  const insertPurge = db.prepare(
    `INSERT INTO purges (id, organization_id, user_id, user_name, state, message_cutoff_id, file_cutoff_id, messages_total, files_total, next_attempt_at, requested_at, updated_at)
     VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)`,
  );
  const ping = db.prepare('SELECT 1 AS ok');

  // Deactivation: one immediate (writer) transaction updating the user, taking the purge
  // cutoffs, revoking the user's keys and credentials and recording the purge.
  const deactivate = db.transaction((organizationId, id, purgeId, now) => {
    const row = hydrate(byId.get(id, organizationId));
    if (!row || !row.active) {
      return row;
    }
    const at = toSql(now);
    if (wipeProfile.run(at, id, row.version).changes !== 1) {
      return 'conflict';
    }
    const messages = messageCutoff.get(id);
    const files = fileCutoff.get(id);
    revokeCredentials.run(at, id);
    revokeKeys.run(at, id);
    insertPurge.run(purgeId, organizationId, id, row.user_name, messages.max ?? 0, files.max ?? 0, messages.count, files.count, at, at, at);
    return { ...row, active: 0, given_name: null, family_name: null, updated_at: now, version: row.version + 1 };
  });

  return {
    kind: 'sqlite',
    findById: (organizationId, id) => hydrate(byId.get(id, organizationId)),
    findByUserName: (organizationId, normalized) => byUserName.all(organizationId, normalized).map(hydrate),
    insert(row) {
      try {
        insertUser.run(
          row.id,
          row.organization_id,
          row.user_name,
          row.user_name_normalized,
          row.email,
          row.given_name,
          row.family_name,
          row.external_id,
          row.active ? 1 : 0,
          toSql(row.created_at),
          toSql(row.updated_at),
        );
        return true;
      } catch (error) {
        if (error.code === 'SQLITE_CONSTRAINT_UNIQUE') {
          return false;
        }
        throw error;
      }
    },
    /** Optimistic: false when the version moved (the caller re-reads). */
    updateProfile: (row, next, now) =>
      updateProfile.run(next.given_name, next.family_name, next.active ? 1 : 0, toSql(now), row.id, row.version).changes === 1,
    deactivate: (organizationId, id, purgeId, now) => deactivate.immediate(organizationId, id, purgeId, now),
    ping: () => ping.get().ok === 1,
    close: () => db.close(),
  };
}
