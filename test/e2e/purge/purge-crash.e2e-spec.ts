import { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Purge } from '../../../src/retention/purge.entity';
import { PurgeHandler } from '../../../src/retention/runner/purge-handler';
import { adminRequest } from '../../support/admin-api';
import { historyOf, purgeIdsOfUser } from '../../support/api-reads';
import { writeDirectly } from '../../support/direct-writes';
import { storedKeys } from '../../support/e2e-storage';
import { freePort, startServer } from '../../support/processes';
import { expectedReceiptDigest, getPurge, PurgeView, seedHistory, waitForPurge } from '../../support/purge-fixtures';
import { okta, oktaUser, patchOp, ScimTenant, scimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

const FILES = 300;
const MESSAGES = 300;
const BATCH = 10;

/** A purge worker from the built service, as an operator starts one: PROCESS_ROLE=worker node dist/src/main.js. */
async function startWorker(): Promise<{ process: ChildProcess; output: () => string }> {
  const port = await freePort();
  const child = startServer({
    PROCESS_ROLE: 'worker',
    HOST: '127.0.0.1',
    PORT: String(port),
    PURGE_BATCH_SIZE: String(BATCH),
    // Slow enough that the kill lands mid-way, however fast the machine.
    PURGE_BATCH_PAUSE_MS: '40',
    PURGE_LEASE_MS: '1500',
    PURGE_RECONCILE_INTERVAL_MS: '250',
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { process: child, output: () => output };
}

describe('a purge killed mid-way resumes after a restart and completes with correct totals', () => {
  let app: INestApplication;
  let tenant: ScimTenant;
  let workers: ChildProcess[] = [];

  beforeAll(async () => {
    // This process serves the API only; purges run in the worker processes the test starts.
    process.env.PROCESS_ROLE = 'api';
    app = await createTestApp();
    tenant = await scimTenant(app, 'crash');
  });

  afterEach(() => {
    for (const worker of workers) {
      worker.kill('SIGKILL');
    }
    workers = [];
  });

  afterAll(async () => {
    await app.close();
    delete process.env.PROCESS_ROLE;
  });

  it('SIGKILL after some batches, restart, completion; running it again deletes nothing more', async () => {
    const user = (await okta(app, tenant).post('/Users', oktaUser('crashed@crash.example.com')).expect(201)).body as {
      id: string;
      userName: string;
    };
    const neighbour = (await okta(app, tenant).post('/Users', oktaUser('neighbour@crash.example.com')).expect(201)).body as { id: string };
    const seeded = await seedHistory(app, tenant.apiKey, user.id, { files: FILES, messages: MESSAGES });
    await seedHistory(app, tenant.apiKey, neighbour.id, { files: 20, messages: 20 });
    const userKeys = (): Promise<string[]> => storedKeys(app, tenant.organizationId, user.id);
    const neighbourKeys = (): Promise<string[]> => storedKeys(app, tenant.organizationId, neighbour.id);

    await okta(app, tenant)
      .patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { active: false } }))
      .expect(200);
    const [purgeId] = await purgeIdsOfUser(app, tenant.apiKey, user.id);
    // No worker yet: an API process never runs purges itself.
    expect((await getPurge(app, tenant.apiKey, purgeId)).state).toBe('pending');

    const first = await startWorker();
    workers.push(first.process);
    await waitForPurge(app, tenant.apiKey, purgeId, (purge) => purge.files.deleted >= 3 * BATCH, 30_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\nworker output:\n${first.output()}`);
    });
    const killed = once(first.process, 'exit');
    first.process.kill('SIGKILL');
    await killed;

    const interrupted = await getPurge(app, tenant.apiKey, purgeId);
    expect(interrupted.state).toBe('running');
    expect(interrupted.progress.done).toBeGreaterThan(0);
    expect(interrupted.progress.done).toBeLessThan(FILES + MESSAGES);
    expect((await userKeys()).length).toBeGreaterThan(0);

    const second = await startWorker();
    workers.push(second.process);
    const completed: PurgeView = await waitForPurge(app, tenant.apiKey, purgeId, undefined, 45_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\nworker output:\n${second.output()}`);
    });

    expect(completed).toMatchObject({
      state: 'completed',
      files: { total: FILES, deleted: FILES },
      messages: { total: MESSAGES, deleted: MESSAGES },
      bytesDeleted: seeded.bytes,
      progress: { done: FILES + MESSAGES, total: FILES + MESSAGES },
      attempts: 2,
    });
    expect(completed.receipt).toMatchObject({
      filesDeleted: FILES,
      messagesDeleted: MESSAGES,
      bytesDeleted: seeded.bytes,
      digest: expectedReceiptDigest(seeded.fileIds, seeded.messageIds),
    });
    expect(await historyOf(app, tenant.apiKey, user.id)).toEqual({ messages: 0, files: 0, bytes: 0 });
    expect(await userKeys()).toEqual([]);
    const ledger = await adminRequest(app, 'get', `/admin/v1/purges/${purgeId}/items?limit=1`, tenant.apiKey).expect(200);
    expect(ledger.body.total).toBe(FILES + MESSAGES);

    // Running it again deletes nothing more and reports the same totals.
    const handler = app.get(PurgeHandler);
    expect(await handler.run(purgeId)).toBe('skipped');
    await writeDirectly(app, (dataSource) => dataSource.getRepository(Purge).update({ id: purgeId }, { state: 'pending' }));
    expect(await handler.run(purgeId)).toBe('completed');
    const again = await getPurge(app, tenant.apiKey, purgeId);
    expect(again.receipt).toMatchObject({
      filesDeleted: FILES,
      messagesDeleted: MESSAGES,
      bytesDeleted: seeded.bytes,
      digest: completed.receipt?.digest,
    });
    expect(await neighbourKeys()).toHaveLength(20);
    expect((await historyOf(app, tenant.apiKey, neighbour.id)).messages).toBe(20);
  });

  it('a worker stopped with SIGTERM hands its purge back between batches, and another finishes it', async () => {
    const user = (await okta(app, tenant).post('/Users', oktaUser('stopped@crash.example.com')).expect(201)).body as { id: string };
    const seeded = await seedHistory(app, tenant.apiKey, user.id, { files: 200, messages: 0 });
    await okta(app, tenant)
      .patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { active: false } }))
      .expect(200);
    const [purgeId] = await purgeIdsOfUser(app, tenant.apiKey, user.id);

    const first = await startWorker();
    workers.push(first.process);
    await waitForPurge(app, tenant.apiKey, purgeId, (purge) => purge.files.deleted >= 2 * BATCH, 30_000);
    const exited = once(first.process, 'exit');
    first.process.kill('SIGTERM');
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    // Nest re-raises the signal once the application has closed.
    expect(code === 0 || signal === 'SIGTERM', first.output()).toBe(true);

    const handedBack = await getPurge(app, tenant.apiKey, purgeId);
    expect(handedBack.state).toBe('pending');
    expect(handedBack.files.deleted).toBeLessThan(200);
    // No API shows the lease: whether the stopped worker released it is database state.
    const [row] = await app.get(DataSource).getRepository(Purge).findBy({ id: purgeId });
    expect(row.leaseOwner).toBeNull();

    const second = await startWorker();
    workers.push(second.process);
    const completed = await waitForPurge(app, tenant.apiKey, purgeId, undefined, 45_000);
    expect(completed).toMatchObject({ files: { total: 200, deleted: 200 }, bytesDeleted: seeded.bytes, attempts: 2 });
    expect(completed.receipt?.digest).toBe(expectedReceiptDigest(seeded.fileIds, []));
  });
});
