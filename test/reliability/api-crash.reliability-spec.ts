import { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex, signatureHeaders } from '../../src/auth/request-signature';
import { BREAKER_OFF_POLICY } from '../support/admin-api';
import { queryServiceDatabase } from '../support/direct-database';
import { bootstrapWithCli, freePort, startServer, waitForHttp } from '../support/processes';
import { oktaUser, patchOp } from '../support/scim-client';
import { rememberSecret } from '../support/secret-ledger';

type Ack = { kind: 'created' | 'deactivated'; id: string };

/** SIGKILL the API process under Okta-like load, restart it: nothing acknowledged may be lost. */
describe('API process killed under load', () => {
  let server: ChildProcess | undefined;
  let baseUrl: string;
  let port: number;
  let authorization: string;
  const acknowledged: Ack[] = [];
  const failures: string[] = [];
  let sent = 0;

  async function start(): Promise<void> {
    // A killed worker's lease must expire within the test; the reconciler then resumes its purges.
    server = startServer({
      PORT: String(port),
      HOST: '127.0.0.1',
      PURGE_BATCH_SIZE: '5',
      PURGE_LEASE_MS: '3000',
      PURGE_RECONCILE_INTERVAL_MS: '1000',
    });
    expect((await waitForHttp(`${baseUrl}/health/ready`, 30_000)).status).toBe(200);
  }

  beforeAll(async () => {
    port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const apiKey = await bootstrapWithCli('Crash');
    await start();
    const path = `/admin/v1/api-keys/${apiKey.id}/scim-credentials`;
    const issued = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: signatureHeaders(apiKey, { method: 'POST', pathWithQuery: path, bodySha256: sha256Hex('') }),
    });
    const credentials = (await issued.json()) as { username: string; password: string };
    rememberSecret(credentials.password);
    // The load deactivates hundreds of users in seconds: the mass-deactivation breaker would hold
    // their purges, and this test is about purges resuming after a crash (purge-breaker tests the breaker).
    const policyPath = '/admin/v1/organization/purge-policy';
    const policy = JSON.stringify(BREAKER_OFF_POLICY);
    const policySet = await fetch(`${baseUrl}${policyPath}`, {
      method: 'PUT',
      headers: {
        ...signatureHeaders(apiKey, { method: 'PUT', pathWithQuery: policyPath, bodySha256: sha256Hex(policy) }),
        'Content-Type': 'application/json',
      },
      body: policy,
    });
    expect(policySet.status).toBe(200);
    authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;

    let stop = false;
    let sequence = 0;
    const send = async (method: string, path: string, body: unknown): Promise<Response | null> => {
      sent += 1;
      try {
        return await fetch(`${baseUrl}/scim/v2${path}`, {
          method,
          headers: { Authorization: authorization, 'Content-Type': 'application/scim+json' },
          body: JSON.stringify(body),
        });
      } catch (error) {
        failures.push(String(error));
        await new Promise((resolve) => setTimeout(resolve, 50));
        return null;
      }
    };
    const worker = async (): Promise<void> => {
      while (!stop) {
        sequence += 1;
        const created = await send('POST', '/Users', oktaUser(`crash.${sequence}@example.com`));
        if (created?.status === 201) {
          const id = ((await created.json()) as { id: string }).id;
          acknowledged.push({ kind: 'created', id });
          if (sequence % 2 === 0) {
            const deactivated = await send('PATCH', `/Users/${id}`, patchOp({ op: 'replace', value: { active: false } }));
            if (deactivated?.status === 200) {
              acknowledged.push({ kind: 'deactivated', id });
            }
          }
        }
      }
    };
    const workers = Array.from({ length: 4 }, () => worker());
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const exited = once(server!, 'exit');
    server!.kill('SIGKILL');
    await exited;
    await new Promise((resolve) => setTimeout(resolve, 500));
    await start();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    stop = true;
    await Promise.all(workers);
  }, 120_000);

  afterAll(() => {
    server?.kill('SIGTERM');
  });

  it('was under load when killed', () => {
    expect(acknowledged.filter((ack) => ack.kind === 'created').length).toBeGreaterThan(20);
    expect(failures.length).toBeGreaterThan(0);
  });

  it('lost no acknowledged create or deactivation', async () => {
    const rows = await queryServiceDatabase<{ id: string; active: number | boolean; purges: number | string }>(
      'SELECT u.id, u.active, (SELECT COUNT(*) FROM purges p WHERE p.user_id = u.id) AS purges FROM users u',
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const ack of acknowledged) {
      const row = byId.get(ack.id);
      expect(row, ack.id).toBeDefined();
      if (ack.kind === 'deactivated') {
        expect(Number(row!.active)).toBe(0);
        expect(Number(row!.purges)).toBe(1);
      }
    }
    for (const row of rows) {
      expect(Number(row.purges)).toBe(Number(row.active) ? 0 : 1);
    }
    console.log(
      `crash test: ${sent} requests, ${failures.length} connection failures, ${acknowledged.length} acknowledged writes checked, ${rows.length} users`,
    );
  });

  it('resumed and finished every purge after the restart', async () => {
    await expect
      .poll(
        async () =>
          (await queryServiceDatabase<{ n: number | string }>("SELECT COUNT(*) AS n FROM purges WHERE state <> 'completed'"))[0]?.n,
        { timeout: 60_000, interval: 500 },
      )
      .toSatisfy((n) => Number(n) === 0);
    const [completed] = await queryServiceDatabase<{ n: number | string }>("SELECT COUNT(*) AS n FROM purges WHERE state = 'completed'");
    const [inactive] = await queryServiceDatabase<{ n: number | string }>('SELECT COUNT(*) AS n FROM users WHERE active = 0');
    expect(Number(completed?.n)).toBe(Number(inactive?.n));
    expect(Number(completed?.n)).toBeGreaterThanOrEqual(acknowledged.filter((ack) => ack.kind === 'deactivated').length);
  });
});
