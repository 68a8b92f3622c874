// Starting the two servers under test: the product's production build (fresh data directory or
// database, credentials obtained the real way) and the baseline (same schema, via the product's
// own migrations).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createMysqlDatabase, dropMysqlDatabase, mysqlUrl, runProductMigrations, withDatabase } from './db.mjs';
import { adminRequest } from './http.mjs';
import { freePort, runNode, startNode, waitForReady } from './processes.mjs';

const READY_TIMEOUT_MS = 60_000;

/**
 * A setup is one database configuration (sqlite, or mysql = MariaDB + Redis) with its own
 * working directory, databases and Redis key prefix, all removed by cleanup().
 */
export function createSetup(kind, context) {
  const { workDir, distDir, runTag, mysqlServerUrl, redisUrl } = context;
  const setupDir = join(workDir, kind);
  mkdirSync(setupDir, { recursive: true });
  const databases = [];
  const redisKeyPrefix = `bench-${runTag}`;
  // One key for every product instance of the run (MySQL requires it; SQLite generates its own).
  const encryptionKey = randomBytes(32).toString('base64');

  async function databaseFor(name) {
    if (kind === 'sqlite') {
      const dataDir = join(setupDir, name);
      mkdirSync(dataDir, { recursive: true });
      return { dataDir, target: { kind: 'sqlite', file: join(dataDir, 'scim.sqlite') } };
    }
    const database = `bench_${runTag}_${name}`.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 64);
    await createMysqlDatabase(mysqlServerUrl, database);
    databases.push(database);
    const dataDir = join(setupDir, name);
    mkdirSync(dataDir, { recursive: true });
    return { dataDir, target: { kind: 'mysql', url: mysqlUrl(mysqlServerUrl, database), database } };
  }

  return {
    kind,
    label: kind === 'sqlite' ? 'SQLite (embedded default)' : 'MariaDB + Redis',
    setupDir,
    redisKeyPrefix,
    databaseFor,
    distDir,

    /**
     * The product's environment: production build and the shipped defaults (info access log,
     * helmet, throttling, metrics), loopback, its own data. LOG_LEVEL only when --log-level asks.
     */
    productEnv({ port, dataDir, target }) {
      const env = {
        NODE_ENV: 'production',
        ...(context.logLevel ? { LOG_LEVEL: context.logLevel } : {}),
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        DATA_DIR: dataDir,
        FILE_STORAGE_DIR: join(dataDir, 'files'),
      };
      if (target.kind === 'mysql') {
        Object.assign(env, {
          DATABASE_URL: target.url,
          REDIS_URL: redisUrl,
          REDIS_KEY_PREFIX: redisKeyPrefix,
          ENCRYPTION_KEY: encryptionKey,
        });
      }
      return env;
    },

    async startProduct(name, { cpuProfileDir, extraEnv = {} } = {}) {
      const { dataDir, target } = await databaseFor(name);
      const port = await freePort();
      const env = { ...this.productEnv({ port, dataDir, target }), ...extraEnv };
      const nodeOptions = [
        ...(context.productNodeOptions ?? []),
        ...(cpuProfileDir
          ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`, `--cpu-prof-name=product-${kind}-${name}-${process.pid}.cpuprofile`]
          : []),
      ];
      const proc = startNode(`product (${kind}, ${name})`, [join(distDir, 'src/main.js')], {
        env,
        cwd: dataDir,
        logFile: join(dataDir, 'product.log'),
        nodeOptions,
      });
      const baseUrl = `http://127.0.0.1:${port}`;
      const readyMs = await waitForReady(proc, `${baseUrl}/health/ready`, READY_TIMEOUT_MS);
      return { kind: 'product', name, proc, baseUrl, env, dataDir, target, readyMs };
    },

    /** bootstrap CLI, then a signed admin request for the SCIM credential: as an operator would. */
    async credentialsFor(product) {
      const cli = await runNode(
        [
          join(distDir, 'src/cli/main.js'),
          'bootstrap',
          '--org-name',
          'Bench Corp',
          '--hostname',
          `bench-${runTag}-${product.name}.example.com`.replace(/_/g, '-'),
          '--admin-email',
          `bench.admin@${product.name.replace(/_/g, '-')}.example.com`,
          '--admin-given-name',
          'Bench',
          '--admin-family-name',
          'Admin',
        ],
        { env: product.env, cwd: product.dataDir, timeoutMs: 60_000 },
      );
      if (cli.code !== 0) {
        throw new Error(`bootstrap CLI failed (exit ${cli.code}): ${cli.stderr.trim()}`);
      }
      const printed = JSON.parse(cli.stdout);
      const apiKey = { id: printed.apiKey.id, key: printed.apiKey.key, secret: printed.apiKey.secret };
      const issued = await adminRequest(product.baseUrl, apiKey, 'POST', `/admin/v1/api-keys/${apiKey.id}/scim-credentials`);
      if (issued.status !== 201 || !issued.json?.username || !issued.json?.password) {
        throw new Error(`issuing SCIM credentials answered ${issued.status}: ${issued.text}`);
      }
      // The PATCH scenario deactivates thousands of users in minutes, which the default breaker
      // rightly holds; the bench measures purges that run, so its organization turns the breaker off
      // (each deactivation still takes the policy lock and reads the legal hold, as in production).
      const policy = await adminRequest(product.baseUrl, apiKey, 'PUT', '/admin/v1/organization/purge-policy', {
        graceSeconds: 0,
        massDeactivation: { enabled: false, threshold: 25, windowSeconds: 600 },
      });
      // 404: a build from before the safeguards (`--dist`), which has no breaker to turn off.
      if (policy.status !== 200 && !(policy.status === 404 && policy.text.includes('Cannot PUT'))) {
        throw new Error(`setting the purge policy answered ${policy.status}: ${policy.text}`);
      }
      return {
        organizationId: printed.organization.id,
        adminId: printed.admin.id,
        apiKey,
        scim: { username: issued.json.username, password: issued.json.password },
      };
    },

    /** The baseline on its own database, migrated by the product's migrations, with one organization. */
    async startBaseline(name, { fileMaxBytes } = {}) {
      const { dataDir, target } = await databaseFor(name);
      await runProductMigrations(distDir, target);
      const organizationId = randomUUID();
      await withDatabase(target, (db) =>
        db.run('INSERT INTO organizations (id, name, hostname, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [
          organizationId,
          'Baseline Corp',
          `baseline-${runTag}.example.com`,
          ...(target.kind === 'sqlite' ? [sqliteNow(), sqliteNow()] : [new Date(), new Date()]),
        ]),
      );
      // The policy row the deactivation transaction locks first, breaker off as for the product.
      await withDatabase(target, (db) =>
        db.run(
          'INSERT INTO purge_policies (organization_id, grace_seconds, breaker_enabled, breaker_threshold, breaker_window_seconds) VALUES (?, 0, 0, 25, 600)',
          [organizationId],
        ),
      );
      const scim = { username: `baseline_${randomBytes(6).toString('hex')}`, password: randomBytes(32).toString('base64url') };
      const port = await freePort();
      const env = {
        HOST: '127.0.0.1',
        PORT: String(port),
        BASELINE_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        BASELINE_DB: target.kind,
        BASELINE_ORGANIZATION_ID: organizationId,
        BASELINE_SCIM_USERNAME: scim.username,
        BASELINE_SCIM_PASSWORD_SHA256: createHash('sha256').update(scim.password, 'utf8').digest('hex'),
        BASELINE_POOL_SIZE: String(productPoolSize(distDir)),
        BASELINE_FILES_DIR: join(dataDir, 'files'),
        ...(fileMaxBytes ? { BASELINE_FILE_MAX_BYTES: String(fileMaxBytes) } : {}),
        ...(target.kind === 'sqlite' ? { BASELINE_SQLITE_FILE: target.file } : { BASELINE_MYSQL_URL: target.url }),
      };
      const proc = startNode(`baseline (${kind})`, [join(context.benchDir, 'baseline/server.mjs')], {
        env,
        cwd: dataDir,
        logFile: join(dataDir, 'baseline.log'),
        nodeOptions: context.cpuProfileDir
          ? ['--cpu-prof', `--cpu-prof-dir=${context.cpuProfileDir}`, `--cpu-prof-name=baseline-${kind}-${name}-${process.pid}.cpuprofile`]
          : [],
      });
      const baseUrl = `http://127.0.0.1:${port}`;
      const readyMs = await waitForReady(proc, `${baseUrl}/health/ready`, READY_TIMEOUT_MS);
      return { kind: 'baseline', name, proc, baseUrl, env, dataDir, target, readyMs, credentials: { organizationId, scim } };
    },

    async cleanup() {
      const problems = [];
      for (const database of databases.splice(0)) {
        await dropMysqlDatabase(mysqlServerUrl, database).catch((error) => problems.push(`drop ${database}: ${error.message}`));
      }
      if (kind === 'mysql' && redisUrl) {
        await deleteRedisKeys(redisUrl, `${redisKeyPrefix}:*`).catch((error) => problems.push(`redis cleanup: ${error.message}`));
      }
      return problems;
    },
  };
}

/**
 * The product's connection pool size as it ships (DATABASE_POOL_SIZE's default, read from the
 * build under test), so the baseline never has more connections than the product.
 */
function productPoolSize(distDir) {
  const { validateEnvironment } = createRequire(import.meta.url)(join(distDir, 'src/config/environment.js'));
  const environment = validateEnvironment({
    DATABASE_URL: 'mysql://bench@127.0.0.1/bench',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  });
  return environment.DATABASE_POOL_SIZE;
}

function sqliteNow() {
  return new Date().toISOString().replace('T', ' ').replace('Z', '');
}

async function deleteRedisKeys(redisUrl, pattern) {
  const { Redis } = createRequire(import.meta.url)('ioredis');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) {
        await redis.del(...keys);
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function redisAnswers(redisUrl) {
  const { Redis } = createRequire(import.meta.url)('ioredis');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const info = await redis.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}
