import { randomBytes } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateMariaDb } from '../support/private-mariadb';
import { ERROR, okta, oktaUser, patchOp, scimTenant, ScimTenant } from '../support/scim-client';
import { createTestApp } from '../support/test-app';

type Outcome = {
  op: 'create' | 'find' | 'deactivate';
  status: number;
  ms: number;
  at: number;
  userName?: string;
  id?: string;
  retryAfter?: string;
  body: unknown;
};

const BEFORE_OUTAGE_MS = 3_000;
const OUTAGE_MS = 10_000;
const WORKERS = 4;

/**
 * Okta-like traffic while the database dies for ~10 s and comes back: the service must answer
 * 503 + Retry-After quickly during the outage, recover by itself, and lose or half-apply nothing.
 */
describe('database outage during traffic', () => {
  let database: PrivateMariaDb;
  let app: INestApplication;
  let tenant: ScimTenant;
  const outcomes: Outcome[] = [];
  const outage = { from: 0, restartAt: 0, to: 0 };
  let readyDuringOutage = 0;

  beforeAll(async () => {
    database = await PrivateMariaDb.create();
    const name = `outage_${randomBytes(3).toString('hex')}`;
    await database.query(`CREATE DATABASE ${name}`);
    process.env.DATABASE_URL = `${database.serverUrl}/${name}`;
    process.env.ENCRYPTION_KEY = randomBytes(32).toString('base64');
    process.env.DATABASE_CONNECT_TIMEOUT_MS = '1000';
    delete process.env.REDIS_URL;
    app = await createTestApp();
    tenant = await scimTenant(app, 'outage');
    await runTraffic();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await database?.destroy();
  });

  async function runTraffic(): Promise<void> {
    const scim = okta(app, tenant);
    const started = Date.now();
    const created: string[] = [];
    let stop = false;
    let sequence = 0;

    const record = async (op: Outcome['op'], send: () => request.Test, extra: Partial<Outcome> = {}): Promise<request.Response> => {
      const at = Date.now();
      const response = await send();
      outcomes.push({
        op,
        status: response.status,
        ms: Date.now() - at,
        at,
        retryAfter: response.headers['retry-after'],
        body: response.body,
        ...extra,
      });
      return response;
    };

    const worker = async (): Promise<void> => {
      while (!stop) {
        sequence += 1;
        const userName = `outage.user.${sequence}@example.com`;
        const createdResponse = await record('create', () => scim.post('/Users', oktaUser(userName, 'Out', 'Age')), { userName });
        if (createdResponse.status === 201) {
          created.push(createdResponse.body.id as string);
        }
        await record('find', () => scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`));
        const victim = created.shift();
        if (victim) {
          await record('deactivate', () => scim.patch(`/Users/${victim}`, patchOp({ op: 'replace', value: { active: false } })), {
            id: victim,
          });
        }
      }
    };

    const workers = Array.from({ length: WORKERS }, () => worker());
    await new Promise((resolve) => setTimeout(resolve, BEFORE_OUTAGE_MS));
    outage.from = Date.now();
    await database.stop();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS / 2));
    readyDuringOutage = (await request(app.getHttpServer()).get('/health/ready')).status;
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS / 2));
    outage.restartAt = Date.now();
    await database.start();
    outage.to = Date.now();
    // Run on until the service has answered successfully again for a while.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !outcomes.some((outcome) => outcome.at > outage.to + 1_000 && outcome.status === 201)) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    stop = true;
    await Promise.all(workers);
    expect(Date.now() - started).toBeGreaterThan(BEFORE_OUTAGE_MS + OUTAGE_MS);
  }

  it('sent real traffic before, during and after the outage', () => {
    expect(outcomes.filter((o) => o.at < outage.from && o.status < 300).length).toBeGreaterThan(10);
    expect(outcomes.filter((o) => o.at > outage.from + 1_000 && o.at < outage.restartAt).length).toBeGreaterThan(10);
  });

  it('answered only 2xx, 409 or 503, never another 5xx, and never slowly', () => {
    const statuses = new Set(outcomes.map((o) => o.status));
    for (const status of statuses) {
      expect([200, 201, 409, 503]).toContain(status);
    }
    expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(8_000);
  });

  it('answered 503 in the SCIM Error schema with Retry-After while the database was down', () => {
    const during = outcomes.filter((o) => o.at > outage.from + 1_000 && o.at + o.ms < outage.restartAt);
    expect(during.length).toBeGreaterThan(0);
    for (const outcome of during) {
      expect(outcome.status).toBe(503);
      expect(outcome.retryAfter).toBe('5');
      expect(outcome.body).toMatchObject({ schemas: [ERROR], status: '503', detail: expect.stringContaining('Retry') });
    }
    expect(readyDuringOutage).toBe(503);
  });

  it('recovered by itself within seconds of the database returning', () => {
    const firstSuccess = outcomes.filter((o) => o.at >= outage.to && o.status < 300).sort((a, b) => a.at - b.at)[0];
    expect(firstSuccess).toBeDefined();
    expect(firstSuccess.at - outage.to).toBeLessThan(10_000);
  });

  it('lost nothing acknowledged and half-applied nothing', async () => {
    const rows = (await database.query(
      `SELECT u.id, u.user_name, u.active, u.given_name, (SELECT COUNT(*) FROM purges p WHERE p.user_id = u.id) AS purges FROM users u WHERE u.organization_id = '${tenant.organizationId}'`,
      process.env.DATABASE_URL!.split('/').pop(),
    )) as { id: string; user_name: string; active: number; given_name: string | null; purges: number }[];
    const byName = new Map(rows.map((row) => [row.user_name, row]));
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const outcome of outcomes.filter((o) => o.op === 'create' && o.status === 201)) {
      expect(byName.get(outcome.userName!), outcome.userName).toBeDefined();
    }
    for (const outcome of outcomes.filter((o) => o.op === 'deactivate' && o.status === 200)) {
      expect(Number(byId.get(outcome.id!)?.active), outcome.id).toBe(0);
    }
    for (const row of rows) {
      // Deactivation and its purge record commit together or not at all.
      expect(Number(row.purges), row.user_name).toBe(Number(row.active) ? 0 : 1);
      if (!Number(row.active)) {
        expect(row.given_name).toBeNull();
      }
    }
    console.log(
      `outage test: ${outcomes.length} requests; by status ${JSON.stringify(Object.fromEntries([...new Set(outcomes.map((o) => o.status))].map((s) => [s, outcomes.filter((o) => o.status === s).length])))}; ` +
        `${rows.length} users checked; max latency ${Math.max(...outcomes.map((o) => o.ms))} ms; ` +
        `first success ${Math.min(...outcomes.filter((o) => o.at >= outage.restartAt && o.status < 300).map((o) => o.at)) - outage.restartAt} ms after the database restart began`,
    );
  });
});
