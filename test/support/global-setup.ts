import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';
import type { TestProject } from 'vitest/node';
import { E2E_DATABASE_PREFIX, e2eDatabase, mysqlServerUrl, redisUrl } from './e2e-target';

declare module 'vitest' {
  export interface ProvidedContext {
    e2eRunId: string;
  }
}

/** Checks the real services once per run and removes whatever this run left behind. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  return setupRun(project, `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`);
}

export async function setupRun(project: TestProject, runId: string): Promise<() => Promise<void>> {
  project.provide('e2eRunId', runId);
  if (e2eDatabase() !== 'mysql') {
    return () => Promise.resolve();
  }
  await assertServicesAnswer();
  return async () => {
    const connection = await createConnection({ uri: mysqlServerUrl });
    try {
      const [rows] = await connection.query<({ name: string } & import('mysql2').RowDataPacket)[]>(
        'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?',
        [`${E2E_DATABASE_PREFIX}${runId}_%`],
      );
      for (const { name } of rows) {
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      }
    } finally {
      await connection.end();
    }
    const redis = new Redis(redisUrl, { lazyConnect: true });
    try {
      await redis.connect();
      const keys = await redis.keys(`${E2E_DATABASE_PREFIX}${runId}_*`);
      if (keys.length > 0) {
        await redis.del(...keys);
      }
    } finally {
      redis.disconnect();
    }
  };
}

async function assertServicesAnswer(): Promise<void> {
  try {
    const connection = await createConnection({ uri: mysqlServerUrl, connectTimeout: 5000 });
    await connection.end();
  } catch (error) {
    throw new Error(`E2E_DB=mysql but MariaDB/MySQL at ${mysqlServerUrl} does not answer: ${String(error)}`, { cause: error });
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`E2E_DB=mysql but Redis at ${redisUrl} does not answer: ${String(error)}`, { cause: error });
  } finally {
    redis.disconnect();
  }
}
