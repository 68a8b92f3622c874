import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateEnvironment } from '../../../src/config/environment';
import { Settings } from '../../../src/config/settings';
import { Database } from '../../../src/database/database';
import { statement } from '../../../src/database/statement';
import { HistoryPurgePort } from '../../../src/history/history-purge.port';
import { HistoryRepository } from '../../../src/history/history.repository';
import { MetricsRegistry } from '../../../src/metrics/metrics-registry';
import { OrphanBlobSweeper } from '../../../src/retention/runner/orphan-blob-sweeper';
import { AbandonedUploadSweeper } from '../../../src/storage/abandoned-upload-sweeper';
import { LocalDiskBlobStorage } from '../../../src/storage/local-disk-blob-storage';
import { StorageSweepMetrics } from '../../../src/storage/storage-sweep-metrics';
import { newServerKey } from '../support/data-key-fixtures';
import { addOrganization, addUser, Owner } from '../support/history-owners';
import { IntegrationDatabase, openIntegrationDatabase } from '../support/integration-database';

const INSERT_FILE = statement(
  'test.orphans.insertFile',
  'INSERT INTO files (organization_id, user_id, name, size_bytes, sha256, storage_key) VALUES (?, ?, ?, ?, ?, ?)',
);
const GRACE_MS = 60_000;
const LONG_AGO = new Date(Date.now() - 10 * GRACE_MS);

/** The storage sweeps on the real databases and local disk: orphaned bytes after a grace time, abandoned staging files. */
describe('storage sweeps', () => {
  let opened: IntegrationDatabase;
  let database: Database;
  let root: string;
  let owner: Owner;
  let orphans: OrphanBlobSweeper;
  let staging: AbandonedUploadSweeper;
  let registry: MetricsRegistry;

  beforeAll(async () => {
    opened = await openIntegrationDatabase({ sqliteFile: 'orphan-sweep.sqlite' });
    database = opened.database;
    root = mkdtempSync(join(tmpdir(), 'scim-orphans-'));
    const settings = new Settings(
      validateEnvironment({
        ENCRYPTION_KEY: newServerKey(),
        FILE_STORAGE_DIR: root,
        STORAGE_ORPHAN_GRACE_MS: String(GRACE_MS),
        STAGED_UPLOAD_ABANDONED_AFTER_MS: String(GRACE_MS),
        HTTP_IDLE_TIMEOUT_MS: String(GRACE_MS / 2),
      }),
    );
    const storage = new LocalDiskBlobStorage(root);
    registry = new MetricsRegistry();
    const metrics = new StorageSweepMetrics(registry);
    orphans = new OrphanBlobSweeper(storage, new HistoryPurgePort(new HistoryRepository(database)), settings, metrics);
    staging = new AbandonedUploadSweeper(storage, settings, metrics);
    owner = await addUser(database, await addOrganization(database));
  });

  afterAll(async () => {
    await opened.close();
    rmSync(root, { recursive: true, force: true });
  });

  function blob(key: string, modifiedAt: Date): string {
    const path = join(root, key);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, key);
    utimesSync(path, modifiedAt, modifiedAt);
    return path;
  }

  async function swept(kind: string): Promise<number> {
    const metric = await registry.getSingleMetric('storage_swept_total')!.get();
    return metric.values.find((value) => value.labels.kind === kind)?.value ?? 0;
  }

  it('deletes old bytes no file row refers to, and keeps referenced ones and recent ones (an upload whose row is coming)', async () => {
    const prefix = `${owner.organizationId}/${owner.userId}`;
    const referenced = Array.from({ length: 70 }, () => `${prefix}/${randomUUID()}`);
    for (const key of referenced) {
      blob(key, LONG_AGO);
      await database.run(INSERT_FILE, [owner.organizationId, owner.userId, 'kept', 1, 'a'.repeat(64), key]);
    }
    // Referenced by a row of another owner than its path names, and by a row though of another shape: kept all the same.
    const colleague = await addUser(database, owner.organizationId);
    const elsewhere = [`${prefix}/${randomUUID()}`, `${owner.organizationId}/${randomUUID()}`];
    for (const key of elsewhere) {
      blob(key, LONG_AGO);
      await database.run(INSERT_FILE, [colleague.organizationId, colleague.userId, 'kept', 1, 'a'.repeat(64), key]);
    }
    const oldOrphans = Array.from({ length: 5 }, () => blob(`${prefix}/${randomUUID()}`, LONG_AGO));
    const strayUserOrphan = blob(`${owner.organizationId}/${randomUUID()}/${randomUUID()}`, LONG_AGO);
    const recentOrphan = blob(`${prefix}/${randomUUID()}`, new Date());

    expect(await orphans.sweep()).toBe(6);
    for (const path of [...oldOrphans, strayUserOrphan]) {
      expect(existsSync(path), path).toBe(false);
    }
    expect(existsSync(recentOrphan)).toBe(true);
    for (const key of [...referenced, ...elsewhere]) {
      expect(existsSync(join(root, key)), key).toBe(true);
    }
    expect(await swept('orphan')).toBe(6);
    // A second sweep finds nothing more; past the grace time, the recent one goes too.
    expect(await orphans.sweep()).toBe(0);
    expect(await orphans.sweep(new Date(Date.now() + 2 * GRACE_MS))).toBe(1);
    expect(existsSync(recentOrphan)).toBe(false);
  });

  it('drops staging files not written to for the threshold, and keeps live ones', async () => {
    const abandoned = blob('.incoming/abandoned.part', LONG_AGO);
    const live = blob('.incoming/live.part', new Date());
    expect(await staging.sweep()).toBe(1);
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(await swept('staging')).toBe(1);
  });
});
