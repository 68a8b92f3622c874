// Direct database access for the bench itself: creating and dropping bench databases, running the
// product's migrations for the baseline, comparing schemas, counting rows for correctness checks,
// and seeding history rows for the purge scenario. One small API over better-sqlite3 and mysql2.
import { createRequire } from 'node:module';
import { URL } from 'node:url';

const require = createRequire(import.meta.url);

/** { kind: 'sqlite', file } or { kind: 'mysql', url } → { all, get, run, insertMany, close }. */
export async function openDatabase(target) {
  if (target.kind === 'sqlite') {
    const Database = require('better-sqlite3');
    const db = new Database(target.file, { timeout: 10_000 });
    db.pragma('foreign_keys = ON');
    return {
      kind: 'sqlite',
      all: async (sql, params = []) => db.prepare(sql).all(...params),
      get: async (sql, params = []) => db.prepare(sql).get(...params),
      run: async (sql, params = []) => db.prepare(sql).run(...params),
      async insertMany(table, columns, rows) {
        const statement = db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
        const insertAll = db.transaction((batch) => {
          for (const row of batch) {
            statement.run(...row);
          }
        });
        insertAll(rows);
      },
      close: async () => db.close(),
    };
  }
  const mysql = require('mysql2/promise');
  const connection = await mysql.createConnection({
    uri: target.url,
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    multipleStatements: false,
  });
  return {
    kind: 'mysql',
    all: async (sql, params = []) => (await connection.query(sql, params))[0],
    get: async (sql, params = []) => (await connection.query(sql, params))[0][0],
    run: async (sql, params = []) => (await connection.query(sql, params))[0],
    async insertMany(table, columns, rows) {
      await connection.beginTransaction();
      try {
        for (let at = 0; at < rows.length; at += 1000) {
          await connection.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ?`, [rows.slice(at, at + 1000)]);
        }
        await connection.commit();
      } catch (error) {
        await connection.rollback().catch(() => undefined);
        throw error;
      }
    },
    close: () => connection.end(),
  };
}

export function mysqlUrl(serverUrl, database) {
  const url = new URL(serverUrl);
  url.pathname = database ? `/${database}` : '/';
  return url.toString();
}

export async function mysqlServerAnswers(serverUrl) {
  try {
    const db = await openDatabase({ kind: 'mysql', url: mysqlUrl(serverUrl) });
    const row = await db.get('SELECT VERSION() AS version');
    await db.close();
    return String(row.version);
  } catch {
    return null;
  }
}

export async function createMysqlDatabase(serverUrl, name) {
  const db = await openDatabase({ kind: 'mysql', url: mysqlUrl(serverUrl) });
  try {
    await db.run(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await db.close();
  }
}

export async function dropMysqlDatabase(serverUrl, name) {
  const db = await openDatabase({ kind: 'mysql', url: mysqlUrl(serverUrl) });
  try {
    await db.run(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await db.close();
  }
}

/**
 * Runs the product's own migrations (from the built snapshot) on a database, exactly as the
 * service does at start-up, so the baseline works on identical tables and indexes.
 */
export async function runProductMigrations(distDir, target) {
  const requireDist = createRequire(`${distDir}/src/main.js`);
  const { DataSource } = requireDist('typeorm');
  const { buildDataSourceOptions } = requireDist('./database/data-source-options.js');
  const { resolveMysqlDialect } = requireDist('./database/mysql-dialect.js');
  const database =
    target.kind === 'sqlite'
      ? { type: 'sqlite', file: target.file, runMigrations: false, connectRetries: 0 }
      : await resolveMysqlDialect({
          type: 'mysql',
          url: target.url,
          poolSize: 2,
          connectTimeoutMs: 5000,
          runMigrations: false,
          connectRetries: 0,
        });
  const dataSource = new DataSource({ ...buildDataSourceOptions(database, []), migrationsRun: false });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}

/** Every table and index definition, normalized, for comparing two databases' schemas. */
export async function schemaOf(target) {
  const db = await openDatabase(target);
  try {
    if (db.kind === 'sqlite') {
      const rows = await db.all("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name");
      return rows.map((row) => `${row.type} ${row.name} ${row.tbl_name}: ${row.sql ?? ''}`).join('\n');
    }
    const tables = (await db.all('SHOW TABLES')).map((row) => Object.values(row)[0]).sort();
    const definitions = [];
    for (const table of tables) {
      const [row] = await db.all(`SHOW CREATE TABLE \`${table}\``);
      definitions.push(String(row['Create Table']).replace(/ AUTO_INCREMENT=\d+/, ''));
    }
    return definitions.join('\n');
  } finally {
    await db.close();
  }
}

/** Runs fn(db) on a fresh connection and closes it. */
export async function withDatabase(target, fn) {
  const db = await openDatabase(target);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
