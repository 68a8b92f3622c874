// Micro-benchmark: the per-statement cost of the data layer (Database) against PreparedSql and the
// bare driver, for a primary-key SELECT of a user row, on SQLite and on MariaDB/MySQL.
// Run with `npm run bench:data-layer` (builds first); `-- --db sqlite|mysql|both` (default both),
// BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306), BENCH_ITERATIONS. Figures go to stdout only.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
require('reflect-metadata');
const { DataSource } = require('typeorm');
const mysql = require('mysql2/promise');
const { buildDataSourceOptions } = require('../dist/src/database/data-source-options.js');
const { resolveMysqlDialect } = require('../dist/src/database/mysql-dialect.js');
const { PreparedSql } = require('../dist/src/database/prepared-sql.js');
const { Database } = require('../dist/src/database/database.js');
const { statement } = require('../dist/src/database/statement.js');
const { Organization } = require('../dist/src/organizations/organization.entity.js');
const { User } = require('../dist/src/users/user.entity.js');

const { values: args } = parseArgs({ options: { db: { type: 'string', default: 'both' } } });
const ROUNDS = 5;
const mysqlServer = (process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, '');
const USERS = 1000;
const SQL = 'SELECT u.id, u.organization_id, u.user_name, u.email, u.given_name, u.family_name, u.active, u.version, u.created_at FROM users u WHERE u.id = ?';
const FIND_USER = statement('bench.users.findById', SQL);

async function setUp(kind) {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'bench-data-layer-'));
    const settings = { type: 'sqlite', file: join(dir, 'bench.sqlite'), runMigrations: true, connectRetries: 0 };
    return { settings, tearDown: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `bench_data_layer_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: mysqlServer });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const settings = { type: 'mysql', url: `${mysqlServer}/${name}`, poolSize: 10, connectTimeoutMs: 5000, runMigrations: true, connectRetries: 0 };
  return {
    settings,
    tearDown: async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}

async function seed(database) {
  const organizationId = randomUUID();
  const insertOrganization = statement('bench.organizations.insert', 'INSERT INTO organizations (id, name, hostname) VALUES (?, ?, ?)');
  const insertUser = statement(
    'bench.users.insert',
    'INSERT INTO users (id, organization_id, user_name, user_name_normalized, email, given_name, family_name, active, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  await database.run(insertOrganization, [organizationId, 'Bench', 'bench.example']);
  const ids = [];
  await database.transaction(async () => {
    for (let index = 0; index < USERS; index += 1) {
      const id = randomUUID();
      ids.push(id);
      await database.run(insertUser, [id, organizationId, `user${index}@bench.example`, `user${index}@bench.example`, null, 'Given', 'Family', true, 'user']);
    }
  });
  return ids;
}

/** Median wall-clock microseconds per call, and this process's CPU microseconds per call. */
async function measure(iterations, call) {
  const samples = new Float64Array(iterations);
  const cpuBefore = process.cpuUsage();
  for (let index = 0; index < iterations; index += 1) {
    const start = performance.now();
    await call(index);
    samples[index] = performance.now() - start;
  }
  const cpu = process.cpuUsage(cpuBefore);
  samples.sort();
  return { wall: samples[Math.floor(iterations / 2)] * 1000, cpu: (cpu.user + cpu.system) / iterations };
}

async function run(kind) {
  const { settings, tearDown } = await setUp(kind);
  const dataSource = new DataSource(buildDataSourceOptions(await resolveMysqlDialect(settings), [Organization, User]));
  await dataSource.initialize();
  const database = await Database.open(dataSource);
  const preparedSql = new PreparedSql(dataSource);
  const ids = await seed(database);
  const raw =
    kind === 'sqlite'
      ? (() => {
          const prepared = dataSource.driver.databaseConnection.prepare(SQL);
          return async (id) => prepared.all(id);
        })()
      : (id) =>
          new Promise((resolve, reject) => dataSource.driver.pool.execute(SQL, [id], (error, rows) => (error ? reject(error) : resolve(rows))));
  const contenders = {
    'bare driver': (index) => raw(ids[index % USERS]),
    PreparedSql: (index) => preparedSql.rows(SQL, [ids[index % USERS]]),
    Database: (index) => database.rows(FIND_USER, [ids[index % USERS]]),
  };
  const iterations = Number(process.env.BENCH_ITERATIONS ?? (kind === 'sqlite' ? 50_000 : 10_000));
  const medians = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  try {
    for (const call of Object.values(contenders)) {
      await measure(Math.min(iterations, 2000), call);
    }
    // Interleaved rounds, so drift in machine load hits every contender alike.
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [name, call] of Object.entries(contenders)) {
        medians[name].push(await measure(iterations, call));
      }
    }
  } finally {
    await database.close();
    await dataSource.destroy();
    await tearDown();
  }
  const median = (list, key) => list.map((entry) => entry[key]).sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const baseline = { wall: median(medians.PreparedSql, 'wall'), cpu: median(medians.PreparedSql, 'cpu') };
  console.log(`\n${kind === 'sqlite' ? 'SQLite' : 'MariaDB/MySQL'}: primary-key SELECT, median of ${ROUNDS} rounds × ${iterations} sequential calls`);
  console.log(`  ${''.padEnd(12)} ${'wall µs'.padStart(8)} ${'× Prepared'.padStart(11)} ${'CPU µs'.padStart(8)} ${'× Prepared'.padStart(11)}`);
  for (const [name, list] of Object.entries(medians)) {
    const wall = median(list, 'wall');
    const cpu = median(list, 'cpu');
    console.log(
      `  ${name.padEnd(12)} ${wall.toFixed(2).padStart(8)} ${(wall / baseline.wall).toFixed(3).padStart(11)} ${cpu.toFixed(2).padStart(8)} ${(cpu / baseline.cpu).toFixed(3).padStart(11)}`,
    );
  }
}

console.log(`data layer micro-benchmark, Node ${process.version}`);
for (const kind of args.db === 'both' ? ['sqlite', 'mysql'] : [args.db]) {
  await run(kind);
}
