import { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex, signatureHeaders } from '../../src/auth/request-signature';
import { bootstrapWithCli, freePort, startServer, waitForHttp } from '../support/processes';
import { oktaUser, patchOp } from '../support/scim-client';
import { rememberSecret } from '../support/secret-ledger';

const USERS = 40;
const THRESHOLD = 25;

type PurgeItem = { id: string; userId: string; state: string; holdReason: string | null };

/**
 * The mass-deactivation breaker across two API processes (and a worker) on one MariaDB and one
 * Redis: of 40 deactivations sent at once, half to each API, exactly the threshold proceed.
 */
describe('mass-deactivation breaker on two API processes', () => {
  const processes: ChildProcess[] = [];
  const apis: string[] = [];
  let authorization: string;
  let apiKey: { id: string; key: string; secret: string };
  const ids: string[] = [];

  async function signed(base: string, method: string, path: string, body = ''): Promise<Response> {
    return fetch(`${base}${path}`, {
      method,
      headers: {
        ...signatureHeaders(apiKey, { method, pathWithQuery: path, bodySha256: sha256Hex(body) }),
        'Content-Type': 'application/json',
      },
      body: body || undefined,
    });
  }

  async function scim(base: string, method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${base}/scim/v2${path}`, {
      method,
      headers: { Authorization: authorization, 'Content-Type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async function purges(state: string): Promise<PurgeItem[]> {
    const response = await signed(apis[0], 'GET', `/admin/v1/purges?state=${state}&limit=200`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { items: PurgeItem[] }).items;
  }

  beforeAll(async () => {
    expect(process.env.DATABASE_URL, 'this test needs MariaDB: run it with E2E_DB=mysql').toBeDefined();
    apiKey = await bootstrapWithCli('Breaker');
    const shared = { HOST: '127.0.0.1', PURGE_RECONCILE_INTERVAL_MS: '500' };
    for (const role of ['api', 'api', 'worker']) {
      const port = await freePort();
      processes.push(startServer({ ...shared, PORT: String(port), PROCESS_ROLE: role }));
      const base = `http://127.0.0.1:${port}`;
      expect((await waitForHttp(`${base}/health/ready`, 30_000)).status).toBe(200);
      if (role === 'api') {
        apis.push(base);
      }
    }
    const credentials = (await (await signed(apis[0], 'POST', `/admin/v1/api-keys/${apiKey.id}/scim-credentials`)).json()) as {
      username: string;
      password: string;
    };
    rememberSecret(credentials.password);
    authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    for (let i = 0; i < USERS; i += 1) {
      const created = await scim(apis[i % 2], 'POST', '/Users', oktaUser(`breaker.${i}@example.com`));
      expect(created.status).toBe(201);
      const id = ((await created.json()) as { id: string }).id;
      ids.push(id);
      const message = JSON.stringify({ subject: 'kept?', body: `message of ${i}` });
      expect((await signed(apis[(i + 1) % 2], 'POST', `/admin/v1/users/${id}/messages`, message)).status).toBe(201);
    }
  }, 180_000);

  afterAll(() => {
    for (const child of processes) {
      child.kill('SIGTERM');
    }
  });

  it(`holds exactly ${USERS - THRESHOLD} of ${USERS} concurrent deactivations sent to both processes`, async () => {
    const statuses = await Promise.all(
      ids.map(
        async (id, i) => (await scim(apis[i % 2], 'PATCH', `/Users/${id}`, patchOp({ op: 'replace', value: { active: false } }))).status,
      ),
    );
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const held = await purges('held');
    expect(held).toHaveLength(USERS - THRESHOLD);
    expect(held.every((purge) => purge.holdReason === 'mass_deactivation')).toBe(true);
    const overview = (await (await signed(apis[1], 'GET', '/admin/v1/organization')).json()) as { warnings: { count: number }[] };
    expect(overview.warnings.map((warning) => warning.count)).toEqual([USERS - THRESHOLD]);
  });

  it('a reactivated held user reads their message back; the others are purged once released', async () => {
    const held = await purges('held');
    const [returning, ...rest] = held;
    expect((await scim(apis[1], 'PATCH', `/Users/${returning.userId}`, patchOp({ op: 'replace', value: { active: true } }))).status).toBe(
      200,
    );
    const messages = await signed(apis[0], 'GET', `/admin/v1/users/${returning.userId}/messages`);
    expect(messages.status).toBe(200);
    const index = ids.indexOf(returning.userId);
    expect(((await messages.json()) as { items: { body: string }[] }).items.map((message) => message.body)).toEqual([
      `message of ${index}`,
    ]);

    const released = await signed(apis[1], 'POST', '/admin/v1/purges/release', JSON.stringify({ reason: 'mass_deactivation' }));
    expect(await released.json()).toEqual({ reason: 'mass_deactivation', released: rest.length });
    await expect.poll(async () => (await purges('completed')).length, { timeout: 90_000, interval: 500 }).toBe(USERS - 1);
    expect((await purges('cancelled')).map((purge) => purge.id)).toEqual([returning.id]);
    for (const purge of rest) {
      expect((await signed(apis[purge.id.charCodeAt(0) % 2], 'GET', `/admin/v1/users/${purge.userId}/messages`)).status).toBe(410);
    }
  });
});
