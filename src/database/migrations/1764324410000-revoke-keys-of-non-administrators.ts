import { MigrationInterface, QueryRunner } from 'typeorm';

const KEYS_OF_NON_ADMINISTRATORS = `SELECT k.id FROM api_keys k JOIN users u ON u.id = k.owner_user_id
  WHERE k.revoked_at IS NULL AND (u.role <> 'admin' OR u.active = 0 OR u.deleted_at IS NOT NULL)`;

/**
 * Keys and SCIM credentials act only while their owner is an active administrator, and demotion
 * now revokes them. Keys of owners demoted before that rule are revoked here, each audited, so
 * that the key list shows the truth and a later grant cannot revive them.
 */
export class RevokeKeysOfNonAdministrators1764324410000 implements MigrationInterface {
  name = 'RevokeKeysOfNonAdministrators1764324410000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const now = new Date();
    // As TypeORM writes a datetime: a UTC string on SQLite; mysql2 converts a Date itself (timezone Z).
    const revokedAt = queryRunner.connection.options.type === 'better-sqlite3' ? now.toISOString().replace('T', ' ').replace('Z', '') : now;
    const keys = (await queryRunner.query(KEYS_OF_NON_ADMINISTRATORS)) as { id: string }[];
    for (const { id } of keys) {
      await queryRunner.query(
        `INSERT INTO audit_events (organization_id, type, target_type, target_id, detail)
           SELECT organization_id, 'api_key.revoked', 'api_key', id, 'owner_not_admin' FROM api_keys WHERE id = ?`,
        [id],
      );
      await queryRunner.query('UPDATE scim_credentials SET revoked_at = ? WHERE api_key_id = ? AND revoked_at IS NULL', [revokedAt, id]);
      await queryRunner.query('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [revokedAt, id]);
    }
  }

  /** Revocations are not undone; the schema is unchanged. */
  async down(): Promise<void> {
    // Nothing to revert.
  }
}
