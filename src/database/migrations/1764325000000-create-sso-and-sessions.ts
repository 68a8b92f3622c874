import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/**
 * SAML single sign-on and sign-in sessions (issue 14):
 * - sso_configurations: one row per organization, created with the service provider's key pair
 *   (the private key encrypted, bound to its row); the identity provider's settings once configured;
 * - sso_requests: AuthnRequests awaiting their response (InResponseTo), each answered once;
 * - saml_assertion_ids: assertion ids already accepted, until they expire (replay cache without Redis);
 * - sessions: server-side sign-in sessions, found by the hash of the cookie's token.
 */
export class CreateSsoAndSessions1764325000000 implements MigrationInterface {
  name = 'CreateSsoAndSessions1764325000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'sso_configurations',
        columns: [
          { name: 'organization_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'enabled', type: 'boolean', default: 0 },
          { name: 'idp_entity_id', type: 'varchar', length: '1024', isNullable: true },
          { name: 'idp_sso_url', type: 'varchar', length: '2048', isNullable: true },
          { name: 'idp_certificate', type: 'text', isNullable: true },
          { name: 'allow_idp_initiated', type: 'boolean', default: 1 },
          { name: 'sp_private_key_ciphertext', type: 'text' },
          { name: 'sp_certificate', type: 'text' },
          { name: 'created_at', type: 'datetime' },
          { name: 'updated_at', type: 'datetime' },
        ],
        foreignKeys: [foreignKey('FK_sso_configurations_organization', 'organization_id', 'organizations')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'sso_requests',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'organization_id', type: 'varchar', length: '36' },
          { name: 'relay_state_hash', type: 'varchar', length: '64' },
          { name: 'return_to', type: 'varchar', length: '1024' },
          { name: 'expires_at', type: 'datetime' },
        ],
        indices: [new TableIndex({ name: 'IDX_sso_requests_expires_at', columnNames: ['expires_at'] })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'saml_assertion_ids',
        columns: [
          { name: 'organization_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'assertion_id_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'expires_at', type: 'datetime' },
        ],
        indices: [new TableIndex({ name: 'IDX_saml_assertion_ids_expires_at', columnNames: ['expires_at'] })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'sessions',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'token_hash', type: 'varchar', length: '64' },
          { name: 'organization_id', type: 'varchar', length: '36' },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'login_flow', type: 'varchar', length: '16' },
          { name: 'created_at', type: 'datetime' },
          { name: 'last_seen_at', type: 'datetime' },
          { name: 'expires_at', type: 'datetime' },
          { name: 'revoked_at', type: 'datetime', isNullable: true },
          { name: 'revoked_reason', type: 'varchar', length: '32', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'UQ_sessions_token_hash', columnNames: ['token_hash'], isUnique: true }),
          new TableIndex({ name: 'IDX_sessions_user', columnNames: ['user_id', 'revoked_at'] }),
          new TableIndex({ name: 'IDX_sessions_organization', columnNames: ['organization_id', 'revoked_at'] }),
          new TableIndex({ name: 'IDX_sessions_expires_at', columnNames: ['expires_at'] }),
        ],
        foreignKeys: [
          foreignKey('FK_sessions_organization', 'organization_id', 'organizations'),
          foreignKey('FK_sessions_user', 'user_id', 'users'),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sessions');
    await queryRunner.dropTable('saml_assertion_ids');
    await queryRunner.dropTable('sso_requests');
    await queryRunner.dropTable('sso_configurations');
  }
}

function foreignKey(name: string, column: string, referencedTable: string): TableForeignKey {
  return new TableForeignKey({
    name,
    columnNames: [column],
    referencedTableName: referencedTable,
    referencedColumnNames: ['id'],
    onDelete: 'RESTRICT',
    onUpdate: 'NO ACTION',
  });
}
