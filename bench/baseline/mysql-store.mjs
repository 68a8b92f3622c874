// Baseline data access on MySQL/MariaDB: a mysql2 pool (same size as the product's) and
// prepared statements (`execute`), on the schema the product's migrations made.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const mysql = require('mysql2/promise');

const USER_COLUMNS =
  'id, user_name, user_name_normalized, email, given_name, family_name, external_id, active, created_at, updated_at, version';

export async function createMysqlStore(url, poolSize) {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: poolSize,
    waitForConnections: true,
    enableKeepAlive: true,
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
  });

  const byIdSql = `SELECT ${USER_COLUMNS} FROM users WHERE id = ? AND organization_id = ? AND deleted_at IS NULL`;

  // The product's deactivation transaction, statement for statement (docs/performance.md): the
  // conditional profile wipe, the user's open keys (and their SCIM credentials) revoked, sessions
  // revoked, open purges read, the purge cutoffs read under a shared lock, the data keys locked,
  // the purge recorded. The row is read before the transaction, as the product does.
  async function deactivateOnce(organizationId, id, purgeId, now) {
    const [[row]] = await pool.execute(byIdSql, [id, organizationId]);
    if (!row || !row.active) {
      return row ?? null;
    }
    const connection = await pool.getConnection();
    try {
      await connection.beginTransaction();
      // First, as in the product: the organization's purge policy row locked (its deactivations take
      // turns, so the breaker's count is exact); the breaker is off here, so no count follows.
      await connection.execute(
        'SELECT grace_seconds, breaker_enabled, breaker_threshold, breaker_window_seconds FROM purge_policies WHERE organization_id = ? FOR UPDATE',
        [organizationId],
      );
      const [wiped] = await connection.execute(
        'UPDATE users SET active = 0, given_name = NULL, given_name_folded = NULL, family_name = NULL, family_name_folded = NULL, updated_at = ?, version = version + 1 WHERE id = ? AND version = ? AND deleted_at IS NULL',
        [now, id, row.version],
      );
      if (wiped.affectedRows !== 1) {
        await connection.rollback();
        return 'conflict';
      }
      const [ownedKeys] = await connection.execute('SELECT id FROM api_keys WHERE owner_user_id = ? AND revoked_at IS NULL ORDER BY id', [
        id,
      ]);
      if (ownedKeys.length > 0) {
        await connection.execute(
          'UPDATE scim_credentials SET revoked_at = ? WHERE revoked_at IS NULL AND api_key_id IN (SELECT id FROM api_keys WHERE owner_user_id = ?)',
          [now, id],
        );
        await connection.execute('UPDATE api_keys SET revoked_at = ? WHERE owner_user_id = ? AND revoked_at IS NULL', [now, id]);
      }
      await connection.execute(
        "UPDATE sessions SET revoked_at = ?, revoked_reason = 'user_deactivated' WHERE user_id = ? AND revoked_at IS NULL",
        [now, id],
      );
      await connection.execute('SELECT user_id FROM legal_holds WHERE user_id = ?', [id]);
      await connection.execute("SELECT id FROM purges WHERE user_id = ? AND state IN ('pending', 'running', 'failed') ORDER BY id", [id]);
      const [[messages]] = await connection.execute(
        'SELECT MAX(id) AS max, COUNT(*) AS count FROM messages WHERE user_id = ? LOCK IN SHARE MODE',
        [id],
      );
      const [[files]] = await connection.execute(
        'SELECT MAX(id) AS max, COUNT(*) AS count FROM files WHERE user_id = ? LOCK IN SHARE MODE',
        [id],
      );
      await connection.execute('SELECT id, created_at FROM data_keys WHERE user_id = ? ORDER BY created_at, id FOR UPDATE', [id]);
      await connection.execute(
        `INSERT INTO purges (id, organization_id, user_id, user_name, state, message_cutoff_id, file_cutoff_id, messages_total, files_total, messages_deleted, files_deleted, bytes_deleted, requested_at, next_attempt_at, updated_at, data_keys_destroyed_at, data_keys_destroyed, data_key_ids_to_destroy, attempts, version)
         VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, 0, 0, 0, ?, ?, ?, ?, NULL, NULL, 0, 1)`,
        [
          purgeId,
          organizationId,
          id,
          row.user_name,
          Number(messages.max ?? 0),
          Number(files.max ?? 0),
          Number(messages.count),
          Number(files.count),
          now,
          now,
          now,
          now,
        ],
      );
      await connection.commit();
      return { ...row, active: 0, given_name: null, family_name: null, updated_at: now, version: row.version + 1 };
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      throw error;
    } finally {
      connection.release();
    }
  }

  return {
    kind: 'mysql',
    async findById(organizationId, id) {
      const [rows] = await pool.execute(byIdSql, [id, organizationId]);
      return rows[0] ?? null;
    },
    async findByUserName(organizationId, normalized) {
      const [rows] = await pool.execute(
        `SELECT ${USER_COLUMNS} FROM users WHERE organization_id = ? AND user_name_normalized = ? AND deleted_at IS NULL ORDER BY created_at, id`,
        [organizationId, normalized],
      );
      // The column's collation folds case and accents: keep exact matches only, as the product does.
      return rows.filter((row) => row.user_name_normalized === normalized);
    },
    async insert(row) {
      try {
        await pool.execute(
          `INSERT INTO users (id, organization_id, user_name, user_name_normalized, email, given_name, family_name, external_id, active, role, created_at, updated_at, version)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'user', ?, ?, 1)`,
          [
            row.id,
            row.organization_id,
            row.user_name,
            row.user_name_normalized,
            row.email,
            row.given_name,
            row.family_name,
            row.external_id,
            row.active ? 1 : 0,
            row.created_at,
            row.updated_at,
          ],
        );
        return true;
      } catch (error) {
        if (error.code === 'ER_DUP_ENTRY') {
          return false;
        }
        throw error;
      }
    },
    async updateProfile(row, next, now) {
      const [result] = await pool.execute(
        'UPDATE users SET given_name = ?, family_name = ?, active = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?',
        [next.given_name, next.family_name, next.active ? 1 : 0, now, row.id, row.version],
      );
      return result.affectedRows === 1;
    },
    deactivate: deactivateOnce,
    async ping() {
      const [rows] = await pool.query('SELECT 1 AS ok');
      return Number(rows[0].ok) === 1;
    },
    close: () => pool.end(),
  };
}
