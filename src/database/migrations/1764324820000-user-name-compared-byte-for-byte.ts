import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { normalizeUserName, USER_NAME_KEY_MAX_LENGTH } from './caseless-text';
import { forEachUserBatch, isMysql, UserRow } from './user-rows';

const KEY_COLUMN = 'user_name_normalized';
// Upper-case letters never survive case folding, so no real key can take this placeholder.
const PLACEHOLDER_PREFIX = '#MIGRATING:';

type Rekeyed = { id: string; organizationId: string; userName: string; key: string };

/**
 * userName uniqueness becomes the application's rule alone (`normalizeUserName`), compared byte
 * for byte: MySQL's collation on the key column was utf8mb4_unicode_ci, which also merged
 * accents, full-width letters and more, so a create could be refused as a duplicate that no
 * `userName eq` lookup then found. Existing keys are recomputed; if two users of an
 * organization would share one, the migration stops before changing anything and names them.
 */
export class UserNameComparedByteForByte1764324820000 implements MigrationInterface {
  name = 'UserNameComparedByteForByte1764324820000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const rekeyed = await rowsToRekey(queryRunner, normalizeUserName);
    await assertRekeyable(queryRunner, rekeyed, this.name);
    if (isMysql(queryRunner)) {
      await setKeyCollation(queryRunner, 'utf8mb4_bin');
    }
    await writeKeys(queryRunner, rekeyed);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await writeKeys(queryRunner, await rowsToRekey(queryRunner, (userName) => userName.normalize('NFC').toLowerCase()));
    if (isMysql(queryRunner)) {
      await setKeyCollation(queryRunner, undefined);
    }
  }
}

/** Visible users whose stored key differs from what `keyOf` makes of their userName (deleted ones keep their tombstone). */
async function rowsToRekey(queryRunner: QueryRunner, keyOf: (userName: string) => string): Promise<Rekeyed[]> {
  const rekeyed: Rekeyed[] = [];
  await forEachUserBatch(queryRunner, ['id', 'organization_id', 'user_name', KEY_COLUMN], 'deleted_at IS NULL', (rows) => {
    for (const row of rows) {
      const key = keyOf(String(row.user_name));
      if (key !== row[KEY_COLUMN]) {
        rekeyed.push({ id: String(row.id), organizationId: String(row.organization_id), userName: String(row.user_name), key });
      }
    }
    return Promise.resolve();
  });
  return rekeyed;
}

async function assertRekeyable(queryRunner: QueryRunner, rekeyed: Rekeyed[], migration: string): Promise<void> {
  const problems: string[] = [];
  const moving = new Set(rekeyed.map((row) => row.id));
  const claimed = new Map<string, Rekeyed>();
  for (const row of rekeyed) {
    if (row.key === '' || [...row.key].length > USER_NAME_KEY_MAX_LENGTH) {
      problems.push(
        `user ${row.id} (userName ${JSON.stringify(row.userName)}) has no usable key under the new rule (empty, or longer than ${USER_NAME_KEY_MAX_LENGTH} characters once case-folded)`,
      );
      continue;
    }
    const slot = `${row.organizationId}\n${row.key}`;
    const earlier = claimed.get(slot);
    if (earlier) {
      problems.push(collision(row, earlier));
      continue;
    }
    claimed.set(slot, row);
    // A user that keeps its key already holds this one. The collation may still fold, so candidates are checked exactly here.
    const holders = (await queryRunner.query(
      `SELECT id, user_name, ${KEY_COLUMN} FROM users WHERE organization_id = ? AND ${KEY_COLUMN} = ? AND deleted_at IS NULL`,
      [row.organizationId, row.key],
    )) as UserRow[];
    const holder = holders.find((candidate) => candidate[KEY_COLUMN] === row.key && !moving.has(String(candidate.id)));
    if (holder) {
      problems.push(
        collision(row, { id: String(holder.id), organizationId: row.organizationId, userName: String(holder.user_name), key: row.key }),
      );
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `Migration ${migration} stopped and changed nothing: userNames are now compared after Unicode NFC and full case folding, ` +
        'ignoring invisible characters and white space at either end, and ' +
        `${problems.length === 1 ? 'this conflict needs' : 'these conflicts need'} an administrator first: ${problems.join('; ')}. ` +
        'Resolve each pair with the previous release (deactivate and delete one user through SCIM, which purges its files and messages, or give it another userName in the database), then start this release again.',
    );
  }
}

function collision(row: Rekeyed, other: Rekeyed): string {
  return `users ${other.id} (userName ${JSON.stringify(other.userName)}) and ${row.id} (userName ${JSON.stringify(row.userName)}) of organization ${row.organizationId} would share the userName key ${JSON.stringify(row.key)}`;
}

/** Through unique placeholders first, so no row ever needs a key another row still holds. */
async function writeKeys(queryRunner: QueryRunner, rekeyed: Rekeyed[]): Promise<void> {
  for (const row of rekeyed) {
    await queryRunner.query(`UPDATE users SET ${KEY_COLUMN} = ? WHERE id = ?`, [`${PLACEHOLDER_PREFIX}${row.id}`, row.id]);
  }
  for (const row of rekeyed) {
    await queryRunner.query(`UPDATE users SET ${KEY_COLUMN} = ? WHERE id = ?`, [row.key, row.id]);
  }
}

/** MySQL only: SQLite compares with its BINARY collation already. `undefined` returns to the table's default. */
async function setKeyCollation(queryRunner: QueryRunner, collation: string | undefined): Promise<void> {
  const table = await queryRunner.getTable('users');
  const column = table?.findColumnByName(KEY_COLUMN);
  if (!table || !column) {
    throw new Error(`column users.${KEY_COLUMN} is missing`);
  }
  const changed = new TableColumn({ ...column, collation });
  await queryRunner.changeColumn(table, column, changed);
}
