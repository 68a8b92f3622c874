import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { foldedOrNull } from './caseless-text';
import { forEachUserBatch } from './user-rows';

// Three times the source column: full case folding turns one character into at most three.
const FOLDED = [
  { name: 'email_folded', source: 'email', length: 3 * 320 },
  { name: 'given_name_folded', source: 'given_name', length: 3 * 255 },
  { name: 'family_name_folded', source: 'family_name', length: 3 * 255 },
] as const;

/**
 * Case-folded copies of the email and names, which SCIM filters compare: SQLite's LOWER() folds
 * ASCII letters only (`Élodie` was never found by `élodie`), so the application folds, as it
 * does for userName, and both databases compare the same bytes.
 */
export class FoldedProfileColumns1764324830000 implements MigrationInterface {
  name = 'FoldedProfileColumns1764324830000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One call, so SQLite rebuilds the table once.
    await queryRunner.addColumns(
      'users',
      FOLDED.map(({ name, length }) => new TableColumn({ name, type: 'varchar', length: String(length), isNullable: true })),
    );
    await forEachUserBatch(
      queryRunner,
      ['id', ...FOLDED.map(({ source }) => source)],
      'email IS NOT NULL OR given_name IS NOT NULL OR family_name IS NOT NULL',
      async (rows) => {
        for (const row of rows) {
          await queryRunner.query(`UPDATE users SET ${FOLDED.map(({ name }) => `${name} = ?`).join(', ')} WHERE id = ?`, [
            ...FOLDED.map(({ source }) => foldedOrNull(row[source])),
            row.id,
          ]);
        }
      },
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumns(
      'users',
      FOLDED.map(({ name }) => name),
    );
  }
}
