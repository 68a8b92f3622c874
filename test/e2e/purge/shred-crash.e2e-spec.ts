import { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../src/config/settings';
import { DataKeys } from '../../../src/content-encryption/data-keys.service';
import { BlobStorage } from '../../../src/storage/blob-storage';
import { adminRequest } from '../../support/admin-api';
import { storedKeys } from '../../support/e2e-storage';
import { freePort, startServer, waitForHttp } from '../../support/processes';
import { deactivateDirectly, filesUnder, getPurge, seedHistory, sha256, uploadHeaders, waitForPurge } from '../../support/purge-fixtures';
import { okta, oktaUser, patchOp, ScimTenant, scimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

const USERS = 24;
const BATCH = 5;

type Service = { process: ChildProcess; baseUrl: string; output: () => string };

/** The built service as an operator starts it, on this file's database and storage. */
async function startService(env: NodeJS.ProcessEnv): Promise<Service> {
  const port = await freePort();
  const child = startServer({
    HOST: '127.0.0.1',
    PORT: String(port),
    PURGE_BATCH_SIZE: String(BATCH),
    PURGE_LEASE_MS: '1500',
    PURGE_RECONCILE_INTERVAL_MS: '250',
    ...env,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(`${baseUrl}/health/live`, 30_000);
  return { process: child, baseUrl, output: () => output };
}

async function kill(service: Service): Promise<void> {
  if (service.process.exitCode === null && service.process.signalCode === null) {
    const exited = once(service.process, 'exit');
    service.process.kill('SIGKILL');
    await exited;
  }
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(100);
  }
}

/**
 * kill -9 where crypto-shredding must hold: during deactivations (each one all or nothing: key
 * destroyed with the profile wipe and the purge record, or none of it), during a purge that
 * destroys deferred keys, and during an upload (its staged bytes swept after the threshold).
 */
describe('crypto-shredding survives kill -9', () => {
  let app: INestApplication;
  let tenant: ScimTenant;
  let dataSource: DataSource;
  let services: Service[] = [];

  beforeAll(async () => {
    // This process reads and seeds only; the services the test starts and kills do the work.
    process.env.PROCESS_ROLE = 'api';
    app = await createTestApp();
    dataSource = app.get(DataSource);
    tenant = await scimTenant(app, 'shred-crash');
  }, 120_000);

  afterEach(async () => {
    for (const service of services) {
      await kill(service);
    }
    services = [];
  });

  afterAll(async () => {
    await app.close();
    delete process.env.PROCESS_ROLE;
  });

  async function keyRows(userId: string): Promise<number> {
    const [row] = await dataSource.query<{ count: number | string }[]>('SELECT COUNT(*) AS count FROM data_keys WHERE user_id = ?', [
      userId,
    ]);
    return Number(row.count);
  }

  async function provision(userName: string, messages: number): Promise<string> {
    const id = (await okta(app, tenant).post('/Users', oktaUser(userName)).expect(201)).body.id as string;
    for (let index = 0; index < messages; index += 1) {
      await adminRequest(app, 'post', `/admin/v1/users/${id}/messages`, tenant.apiKey, { subject: `s${index}`, body: `b${index}` }).expect(
        201,
      );
    }
    await app.get(DataKeys).currentKey(id);
    return id;
  }

  it('during deactivations: a user reading inactive has no data key left; one reading active keeps key and history', async () => {
    const ids: string[] = [];
    for (let index = 0; index < USERS; index += 1) {
      ids.push(await provision(`leaver${index}@shred-crash.example.com`, 2));
    }
    const service = await startService({ PROCESS_ROLE: 'api' });
    services.push(service);
    let acknowledged = 0;
    const patches = ids.map((id) =>
      fetch(`${service.baseUrl}/scim/v2/Users/${id}`, {
        method: 'PATCH',
        headers: { Authorization: tenant.authorization, 'Content-Type': 'application/scim+json' },
        body: JSON.stringify(patchOp({ op: 'replace', value: { active: false } })),
      }).then(
        (response) => {
          if (response.ok) {
            acknowledged += 1;
          }
        },
        () => undefined,
      ),
    );
    await until(() => Promise.resolve(acknowledged >= 1), 'a first deactivation', 30_000);
    await kill(service);
    await Promise.all(patches);

    let inactive = 0;
    for (const id of ids) {
      const [user] = await dataSource.query<{ active: number | boolean }[]>('SELECT active FROM users WHERE id = ?', [id]);
      const [purges] = await dataSource.query<{ count: number | string }[]>('SELECT COUNT(*) AS count FROM purges WHERE user_id = ?', [id]);
      if (!user.active) {
        inactive += 1;
        expect(await keyRows(id), `keys of inactive ${id}`).toBe(0);
        expect(Number(purges.count), `purge of inactive ${id}`).toBe(1);
      } else {
        expect(await keyRows(id), `key of active ${id}`).toBe(1);
        expect(Number(purges.count), `purge of active ${id}`).toBe(0);
        const history = await adminRequest(app, 'get', `/admin/v1/users/${id}/history`, tenant.apiKey).expect(200);
        expect(history.body.messages.count, `history of active ${id}`).toBe(2);
      }
    }
    expect(inactive).toBeGreaterThanOrEqual(acknowledged);

    // After a restart, the deactivated users' purges complete and the others keep everything.
    const worker = await startService({ PROCESS_ROLE: 'worker' });
    services.push(worker);
    for (const id of ids) {
      const [purge] = await dataSource.query<{ id: string }[]>('SELECT id FROM purges WHERE user_id = ?', [id]);
      if (purge) {
        await waitForPurge(app, tenant.apiKey, purge.id, undefined, 45_000);
        expect(await keyRows(id)).toBe(0);
      } else {
        expect(await keyRows(id)).toBe(1);
      }
    }
  });

  it('during a purge that destroys deferred keys, and an upload: after a restart, no key, no orphan bytes, no staged bytes', async () => {
    const userId = await provision('deferred@shred-crash.example.com', 0);
    const neighbourId = await provision('neighbour@shred-crash.example.com', 0);
    await seedHistory(app, tenant.apiKey, userId, { files: 60, messages: 40 });
    await seedHistory(app, tenant.apiKey, neighbourId, { files: 5, messages: 5 });
    const keyId = (await app.get(DataKeys).currentKey(userId)).id;
    // Bytes no row will ever refer to, as a kill -9 between an upload's bytes landing and its row leaves them.
    const orphanKey = `${tenant.organizationId}/${randomUUID()}/${randomUUID()}`;
    const orphanBytes = randomBytes(64);
    await app.get(BlobStorage).put(orphanKey, Readable.from([orphanBytes]), { maxBytes: 1024, sha256: sha256(orphanBytes) });
    const stagingDirectory = join(app.get(Settings).fileStorage.directory, '.incoming');
    const stagedBefore = filesUnder(stagingDirectory);

    const purgeId = await deactivateDirectly(
      app,
      { id: userId, organizationId: tenant.organizationId, userName: 'deferred@shred-crash.example.com' },
      'deferred',
    );
    expect(await keyRows(userId)).toBe(1);
    const first = await startService({ PROCESS_ROLE: 'all', PURGE_BATCH_PAUSE_MS: '40' });
    services.push(first);

    // An upload to the neighbour, cut by the kill half-way: its staging file stays behind.
    const content = randomBytes(2 * 1024 * 1024);
    const path = `/admin/v1/users/${neighbourId}/files?name=partial.bin`;
    const digest = sha256(content);
    const upload = httpRequest(`${first.baseUrl}${path}`, {
      method: 'POST',
      headers: {
        ...uploadHeaders(tenant.apiKey, path, digest),
        'ss-content-sha256': digest,
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(content.length),
      },
    });
    upload.on('error', () => undefined);
    upload.write(content.subarray(0, 256 * 1024));
    await until(() => Promise.resolve(filesUnder(stagingDirectory).length > stagedBefore.length), 'the staged upload');
    await waitForPurge(app, tenant.apiKey, purgeId, (purge) => purge.files.deleted >= 3 * BATCH, 30_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\nservice output:\n${first.output()}`);
    });
    await kill(first);
    upload.destroy();

    const interrupted = await getPurge(app, tenant.apiKey, purgeId);
    expect(interrupted.state).toBe('running');
    // The purge's first step destroyed the key before any item went.
    expect(await keyRows(userId)).toBe(0);
    expect(interrupted.dataKeys).toMatchObject({ pending: [], destroyed: [{ id: keyId }] });
    expect(filesUnder(stagingDirectory).length).toBeGreaterThan(stagedBefore.length);

    const second = await startService({
      PROCESS_ROLE: 'worker',
      STAGED_UPLOAD_ABANDONED_AFTER_MS: '1000',
      HTTP_IDLE_TIMEOUT_MS: '500',
      STORAGE_ORPHAN_GRACE_MS: '1000',
      STORAGE_SWEEP_INTERVAL_MS: '1000',
    });
    services.push(second);
    const completed = await waitForPurge(app, tenant.apiKey, purgeId, undefined, 45_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\nservice output:\n${second.output()}`);
    });
    expect(completed.receipt).toMatchObject({ filesDeleted: 60, messagesDeleted: 40, dataKeysDestroyed: [{ id: keyId }] });
    expect(await keyRows(userId)).toBe(0);
    expect(await storedKeys(app, tenant.organizationId, userId)).toEqual([]);
    await until(() => Promise.resolve(filesUnder(stagingDirectory).length === 0), 'the staging sweep', 20_000);
    await until(
      () =>
        app
          .get(BlobStorage)
          .read(orphanKey)
          .then(
            () => false,
            () => true,
          ),
      'the orphan sweep',
      20_000,
    );
    // The neighbour keeps every file, and their key.
    expect(await storedKeys(app, tenant.organizationId, neighbourId)).toHaveLength(5);
    expect(await keyRows(neighbourId)).toBe(1);
  });
});
