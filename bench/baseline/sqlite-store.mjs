// Baseline data access on SQLite: better-sqlite3 prepared statements, same pragmas as the product
// (WAL, synchronous=NORMAL, secure_delete, foreign keys, 5 s busy timeout), on the schema the product's migrations made.
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
  db.pragma('secure_delete = ON');

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
    'UPDATE users SET active = 0, given_name = NULL, given_name_folded = NULL, family_name = NULL, family_name_folded = NULL, updated_at = ?, version = version + 1 WHERE id = ? AND version = ? AND deleted_at IS NULL',
  );
  const openKeys = db.prepare('SELECT id FROM api_keys WHERE owner_user_id = ? AND revoked_at IS NULL ORDER BY id');
  const revokeSessions = db.prepare(
    "UPDATE sessions SET revoked_at = ?, revoked_reason = 'user_deactivated' WHERE user_id = ? AND revoked_at IS NULL",
  );
  const openPurges = db.prepare("SELECT id FROM purges WHERE user_id = ? AND state IN ('pending', 'running', 'failed') ORDER BY id");
  const dataKeys = db.prepare('SELECT id, created_at FROM data_keys WHERE user_id = ? ORDER BY created_at, id');
  const messageCutoff = db.prepare('SELECT MAX(id) AS max, COUNT(*) AS count FROM messages WHERE user_id = ?');
  const fileCutoff = db.prepare('SELECT MAX(id) AS max, COUNT(*) AS count FROM files WHERE user_id = ?');
  const revokeCredentials = db.prepare(
    'UPDATE scim_credentials SET revoked_at = ? WHERE revoked_at IS NULL AND api_key_id IN (SELECT id FROM api_keys WHERE owner_user_id = ?)',
  );
  const revokeKeys = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE owner_user_id = ? AND revoked_at IS NULL');
  const insertPurge = db.prepare(
    `INSERT INTO purges (id, organization_id, user_id, user_name, state, message_cutoff_id, file_cutoff_id, messages_total, files_total, messages_deleted, files_deleted, bytes_deleted, requested_at, next_attempt_at, updated_at, data_keys_destroyed_at, data_keys_destroyed, data_key_ids_to_destroy, attempts, version)
     VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, 0, 0, '0', ?, ?, ?, ?, NULL, NULL, 0, 1)`,
  );
  const policy = db.prepare(
    'SELECT grace_seconds, breaker_enabled, breaker_threshold, breaker_window_seconds FROM purge_policies WHERE organization_id = ?',
  );
  const legalHold = db.prepare('SELECT user_id FROM legal_holds WHERE user_id = ?');
  const ping = db.prepare('SELECT 1 AS ok');

  // The product's deactivation transaction, statement for statement, as one immediate (writer)
  // transaction: the conditional profile wipe, the user's open keys (and their SCIM credentials)
  // revoked, sessions revoked, open purges and data keys read, the purge cutoffs taken, the purge recorded.
  const deactivateRow = db.transaction((organizationId, row, purgeId, now) => {
    const id = row.id;
    const at = toSql(now);
    // The purge policy (breaker off, so no count) and the legal hold decide how the purge starts.
    policy.get(organizationId);
    if (wipeProfile.run(at, id, row.version).changes !== 1) {
      return 'conflict';
    }
    if (openKeys.all(id).length > 0) {
      revokeCredentials.run(at, id);
      revokeKeys.run(at, id);
    }
    revokeSessions.run(at, id);
    legalHold.get(id);
    openPurges.all(id);
    const messages = messageCutoff.get(id);
    const files = fileCutoff.get(id);
    dataKeys.all(id);
    insertPurge.run(
      purgeId,
      organizationId,
      id,
      row.user_name,
      messages.max ?? 0,
      files.max ?? 0,
      messages.count,
      files.count,
      at,
      at,
      at,
      at,
    );
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
    deactivate(organizationId, id, purgeId, now) {
      // Read before the transaction, as the product does.
      const row = hydrate(byId.get(id, organizationId));
      return !row || !row.active ? row : deactivateRow.immediate(organizationId, row, purgeId, now);
    },
    ping: () => ping.get().ok === 1,
    close: () => db.close(),
  };
}
