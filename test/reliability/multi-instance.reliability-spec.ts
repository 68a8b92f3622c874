import { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex, signatureHeaders } from '../../src/auth/request-signature';
import { BREAKER_OFF_POLICY } from '../support/admin-api';
import { queryServiceDatabase } from '../support/direct-database';
import { bootstrapWithCli, freePort, startServer, waitForHttp } from '../support/processes';
import { oktaUser, patchOp } from '../support/scim-client';
import { rememberSecret } from '../support/secret-ledger';

const USERS = 16;
const TRAFFIC_MS = 8_000;

/**
 * Two API processes and one worker on one MariaDB and one Redis, with Okta-like traffic spread
 * over both APIs, racing on the same users: the end state is consistent and every purge ran once.
 */
describe('two API processes and a worker', () => {
  const processes: ChildProcess[] = [];
  const apis: string[] = [];
  let authorization: string;
  let apiKey: { id: string; key: string; secret: string };
  const counts = { requests: 0, byStatus: {} as Record<string, number> };

  function signed(base: string, method: string, path: string, body = ''): Promise<Response> {
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
    const response = await fetch(`${base}/scim/v2${path}`, {
      method,
      headers: { Authorization: authorization, 'Content-Type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    counts.requests += 1;
    counts.byStatus[response.status] = (counts.byStatus[response.status] ?? 0) + 1;
    return response;
  }

  beforeAll(async () => {
    expect(process.env.DATABASE_URL, 'the multi-instance test needs MariaDB: run it with E2E_DB=mysql').toBeDefined();
    apiKey = await bootstrapWithCli('Multi');
    const shared = { HOST: '127.0.0.1', PURGE_BATCH_SIZE: '7', PURGE_RECONCILE_INTERVAL_MS: '1000', PURGE_LEASE_MS: '5000' };
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
    // This churn deactivates the same users again and again: the mass-deactivation breaker would
    // hold their purges (purge-breaker.reliability-spec.ts tests it on two processes).
    const policy = JSON.stringify(BREAKER_OFF_POLICY);
    expect((await signed(apis[0], 'PUT', '/admin/v1/organization/purge-policy', policy)).status).toBe(200);
    authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;

    const ids: string[] = [];
    for (let i = 0; i < USERS; i += 1) {
      const created = await scim(apis[i % 2], 'POST', '/Users', oktaUser(`multi.${i}@example.com`, `Given${i}`, `Family${i}`));
      expect(created.status).toBe(201);
      const id = ((await created.json()) as { id: string }).id;
      ids.push(id);
      for (let m = 0; m < 3; m += 1) {
        expect(
          (await signed(apis[m % 2], 'POST', `/admin/v1/users/${id}/messages`, JSON.stringify({ subject: `s${m}`, body: 'b' }))).status,
        ).toBe(201);
      }
    }

    const started = Date.now();
    let sequence = 0;
    const worker = async (): Promise<void> => {
      while (Date.now() - started < TRAFFIC_MS) {
        sequence += 1;
        const id = ids[(sequence * 7) % ids.length];
        const base = apis[sequence % 2];
        const roll = sequence % 5;
        if (roll === 0) {
          await scim(base, 'PATCH', `/Users/${id}`, patchOp({ op: 'replace', value: { active: false } }));
        } else if (roll === 1) {
          await scim(
            base,
            'PATCH',
            `/Users/${id}`,
            patchOp({ op: 'replace', value: { active: true, name: { givenName: 'Back', familyName: `Again${sequence}` } } }),
          );
        } else if (roll === 2) {
          // As Okta updates: the user as last read, with the changed names (active is required in a PUT).
          const current = (await (await scim(base, 'GET', `/Users/${id}`)).json()) as Record<string, unknown>;
          await scim(base, 'PUT', `/Users/${id}`, { ...current, name: { givenName: 'Put', familyName: `Name${sequence}` } });
        } else if (roll === 3) {
          await scim(base, 'POST', '/Users', oktaUser(`multi.${ids.indexOf(id)}@example.com`));
        } else {
          await scim(base, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "multi.${ids.indexOf(id)}@example.com"`)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, () => worker()));
  }, 180_000);

  afterAll(() => {
    for (const child of processes) {
      child.kill('SIGTERM');
    }
  });

  it('answered every request without a server error', () => {
    expect(counts.requests).toBeGreaterThan(100);
    for (const status of Object.keys(counts.byStatus)) {
      expect(['200', '201', '409']).toContain(status);
    }
    expect(counts.byStatus['409']).toBeGreaterThan(0);
  });

  it('ran every purge to completion exactly once', async () => {
    // A purge still open when its user is deactivated again ends `merged` into the later purge.
    await expect
      .poll(
        async () =>
          Number(
            (
              await queryServiceDatabase<{ n: number | string }>(
                "SELECT COUNT(*) AS n FROM purges WHERE state NOT IN ('completed', 'merged')",
              )
            )[0]?.n,
          ),
        { timeout: 90_000, interval: 500 },
      )
      .toBe(0);
    const purges = await queryServiceDatabase<{
      id: string;
      state: string;
      merged_into_id: string | null;
      messages_deleted: number;
      messages_total: number;
      items: number | string;
      message_cutoff_id: number;
      user_id: string;
    }>(
      "SELECT p.id, p.state, p.merged_into_id, p.messages_deleted, p.messages_total, p.message_cutoff_id, p.user_id, (SELECT COUNT(*) FROM purged_items i JOIN purges s ON s.id = i.purge_id WHERE (s.id = p.id OR s.merged_into_id = p.id) AND i.kind = 'message') AS items FROM purges p",
    );
    const completed = purges.filter((purge) => purge.state === 'completed');
    expect(completed.length).toBeGreaterThan(0);
    const completedIds = new Set(completed.map((purge) => purge.id));
    for (const purge of purges.filter((candidate) => candidate.state === 'merged')) {
      expect(completedIds.has(purge.merged_into_id ?? ''), `${purge.id} merged into a completed purge`).toBe(true);
    }
    // A completed purge's receipt counts its own deletions and those of the purges merged into it.
    for (const purge of completed) {
      expect(Number(purge.items), purge.id).toBe(Number(purge.messages_deleted));
      expect(Number(purge.messages_deleted), purge.id).toBeLessThanOrEqual(Number(purge.messages_total));
    }
    // Each message was deleted by one purge only.
    const duplicates = await queryServiceDatabase<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM (SELECT item_id FROM purged_items WHERE kind = 'message' GROUP BY item_id HAVING COUNT(*) > 1) d",
    );
    expect(Number(duplicates[0]?.n)).toBe(0);
    // Nothing below a completed purge's cutoff is left for its user.
    for (const purge of completed) {
      const [left] = await queryServiceDatabase<{ n: number | string }>(
        'SELECT COUNT(*) AS n FROM messages WHERE user_id = ? AND id <= ?',
        [purge.user_id, purge.message_cutoff_id],
      );
      expect(Number(left?.n), purge.id).toBe(0);
    }
    console.log(
      `multi-instance test: ${counts.requests} SCIM requests ${JSON.stringify(counts.byStatus)}; ${completed.length} completed and ${purges.length - completed.length} merged purges checked`,
    );
  });

  it('left every user consistent: deactivated users wiped, one row per userName', async () => {
    const users = await queryServiceDatabase<{
      user_name_normalized: string;
      active: number;
      given_name: string | null;
      family_name: string | null;
    }>("SELECT user_name_normalized, active, given_name, family_name FROM users WHERE user_name_normalized LIKE 'multi.%'");
    expect(users).toHaveLength(USERS);
    expect(new Set(users.map((user) => user.user_name_normalized)).size).toBe(USERS);
    for (const user of users) {
      if (!Number(user.active)) {
        expect(user.given_name).toBeNull();
        expect(user.family_name).toBeNull();
      } else {
        expect(user.family_name).not.toBeNull();
      }
    }
  });
});
