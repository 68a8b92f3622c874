import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../../src/database/migrations';
import { writeDirectly } from '../../support/direct-writes';
import { e2eDatabase } from '../../support/e2e-target';
import { createTestApp } from '../../support/test-app';

describe('database schema', () => {
  let app: INestApplication;
  let dataSource: DataSource;

  beforeAll(async () => {
    app = await createTestApp();
    dataSource = app.get(DataSource);
  });

  afterAll(async () => {
    await app.close();
  });

  // TypeORM reads the schema with PRAGMA table_xinfo(…), a form the SQLite write guard cannot tell from
  // a setting, so the comparison runs as schema work, inside the write turn.
  const pendingSchemaChanges = () => writeDirectly(app, () => dataSource.driver.createSchemaBuilder().log());

  it('was built by running every migration at start-up', async () => {
    const applied = await dataSource.query<{ name: string }[]>('SELECT name FROM migrations ORDER BY id');
    expect(applied.map((row) => row.name)).toEqual(migrations.map((migration) => migration.name));
  });

  it('matches the entities exactly: migrations leave nothing for synchronize to do', async () => {
    const pending = await pendingSchemaChanges();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('runs on the dialect this suite was asked for', () => {
    const expected = e2eDatabase() === 'mysql' ? ['mysql', 'mariadb'] : ['better-sqlite3'];
    expect(expected).toContain(dataSource.options.type);
  });

  it('can revert and re-apply every migration', async () => {
    await writeDirectly(app, async () => {
      for (let i = 0; i < migrations.length; i += 1) {
        await dataSource.undoLastMigration({ transaction: 'each' });
      }
    });
    await writeDirectly(app, async () => {
      const runner = dataSource.createQueryRunner();
      try {
        expect(await runner.getTables(['users', 'organizations'])).toHaveLength(0);
      } finally {
        await runner.release();
      }
    });
    await writeDirectly(app, () => dataSource.runMigrations({ transaction: 'each' }));
    const pending = await pendingSchemaChanges();
    expect(pending.upQueries).toEqual([]);
  });
});
