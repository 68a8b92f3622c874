import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDirectly } from '../../support/direct-writes';
import { okta, ScimTenant, scimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

const REKEYING = 'UserNameComparedByteForByte1764324820000';
const FOLDING = 'FoldedProfileColumns1764324830000';

type Row = {
  id: string;
  user_name_normalized: string;
  given_name_folded?: string | null;
  family_name_folded?: string | null;
  email_folded?: string | null;
};

/** The two migrations that move comparison into the application, run over rows written under the old rule. */
describe('migrating existing users to the application’s comparison rule', () => {
  let app: INestApplication;
  let dataSource: DataSource;
  let tenant: ScimTenant;

  beforeAll(async () => {
    app = await createTestApp();
    dataSource = app.get(DataSource);
    tenant = await scimTenant(app, 'migration');
  });

  afterAll(async () => {
    await app.close();
  });

  async function applied(): Promise<string[]> {
    return (await dataSource.query<{ name: string }[]>('SELECT name FROM migrations ORDER BY id')).map((row) => row.name);
  }

  /** As the service wrote users before: userName key = NFC + toLowerCase, no folded columns. */
  async function insertLegacyUser(
    id: string,
    userName: string,
    extra: { givenName?: string; email?: string; deleted?: boolean } = {},
  ): Promise<void> {
    const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
    await writeDirectly(app, () =>
      dataSource.query(
        'INSERT INTO users (id, organization_id, user_name, user_name_normalized, email, given_name, family_name, active, role, created_at, updated_at, version, deleted_at) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
          id,
          tenant.organizationId,
          userName,
          extra.deleted ? `#deleted:${id}` : userName.normalize('NFC').toLowerCase(),
          extra.email ?? null,
          extra.givenName ?? null,
          'Legacy',
          1,
          'user',
          now,
          now,
          1,
          extra.deleted ? now : null,
        ],
      ),
    );
  }

  async function rowsOf(ids: string[], columns: string): Promise<Row[]> {
    return dataSource.query<Row[]>(`SELECT id, ${columns} FROM users WHERE id IN (${ids.map(() => '?').join(', ')}) ORDER BY id`, ids);
  }

  it('stops, naming both users, when two would share a userName, and re-keys and folds everything once that is resolved', async () => {
    // TypeORM's revert switches SQLite's foreign keys off only inside its transaction, where that
    // is a no-op, so rebuilding users (referenced by keys and purges) would fail: switched off here.
    const sqlite = dataSource.options.type === 'better-sqlite3';
    await writeDirectly(app, async () => {
      if (sqlite) {
        await dataSource.query('PRAGMA foreign_keys = OFF');
      }
      try {
        while ((await applied()).includes(REKEYING)) {
          await dataSource.undoLastMigration({ transaction: 'each' });
        }
      } finally {
        if (sqlite) {
          await dataSource.query('PRAGMA foreign_keys = ON');
        }
      }
    });
    await insertLegacyUser('legacy-1', 'Straße@Legacy.example', { givenName: 'ÉLODIE', email: 'ÉLODIE@LEGACY.EXAMPLE' });
    await insertLegacyUser('legacy-2', 'bob@legacy.example\u{E0100}');
    await insertLegacyUser('legacy-3', 'Bob@legacy.example');
    await insertLegacyUser('legacy-4', 'bob@legacy.example', { deleted: true });
    const ids = ['legacy-1', 'legacy-2', 'legacy-3', 'legacy-4'];
    const before = await rowsOf(ids, 'user_name_normalized');

    await expect(writeDirectly(app, () => dataSource.runMigrations({ transaction: 'each' }))).rejects.toThrow(
      `Migration ${REKEYING} stopped and changed nothing: userNames are now compared after Unicode NFC and full case folding, ignoring invisible characters ` +
        'and white space at either end, and this conflict needs an administrator first: users legacy-3 (userName "Bob@legacy.example") and ' +
        `legacy-2 (userName "bob@legacy.example\u{E0100}") of organization ${tenant.organizationId} would share the userName key "bob@legacy.example". ` +
        'Resolve each pair with the previous release (deactivate and delete one user through SCIM, which purges its files and messages, or give it another userName in the database), then start this release again.',
    );
    expect(await applied()).not.toContain(REKEYING);
    expect(await rowsOf(ids, 'user_name_normalized')).toEqual(before);

    // The administrator resolves it; nothing was dropped or renamed by the migration itself.
    await writeDirectly(app, () =>
      dataSource.query(
        "UPDATE users SET user_name = 'bob.two@legacy.example', user_name_normalized = 'bob.two@legacy.example' WHERE id = 'legacy-3'",
      ),
    );
    await writeDirectly(app, () => dataSource.runMigrations({ transaction: 'each' }));
    expect(await applied()).toEqual(expect.arrayContaining([REKEYING, FOLDING]));
    expect(await rowsOf(ids, 'user_name_normalized, given_name_folded, family_name_folded, email_folded')).toEqual([
      {
        id: 'legacy-1',
        user_name_normalized: 'strasse@legacy.example',
        given_name_folded: 'élodie',
        family_name_folded: 'legacy',
        email_folded: 'élodie@legacy.example',
      },
      {
        id: 'legacy-2',
        user_name_normalized: 'bob@legacy.example',
        given_name_folded: null,
        family_name_folded: 'legacy',
        email_folded: null,
      },
      {
        id: 'legacy-3',
        user_name_normalized: 'bob.two@legacy.example',
        given_name_folded: null,
        family_name_folded: 'legacy',
        email_folded: null,
      },
      {
        id: 'legacy-4',
        user_name_normalized: '#deleted:legacy-4',
        given_name_folded: null,
        family_name_folded: 'legacy',
        email_folded: null,
      },
    ]);
    expect((await writeDirectly(app, () => dataSource.driver.createSchemaBuilder().log())).upQueries).toEqual([]);

    const scim = okta(app, tenant);
    const found = async (filter: string): Promise<string[]> =>
      ((await scim.get(`/Users?filter=${encodeURIComponent(filter)}`).expect(200)).body.Resources as { id: string }[]).map(
        (user) => user.id,
      );
    expect(await found('userName eq "STRASSE@legacy.example"')).toEqual(['legacy-1']);
    expect(await found('name.givenName eq "élodie" and emails.value eq "élodie@legacy.example"')).toEqual(['legacy-1']);
    expect(await found('userName eq "bob@legacy.example"')).toEqual(['legacy-2']);
  });
});
