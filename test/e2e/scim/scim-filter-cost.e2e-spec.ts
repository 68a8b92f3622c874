import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScimRequestLimiter } from '../../../src/auth/scim-request-limiter';
import { User } from '../../../src/users/user.entity';
import { adminRequest, ApiKeyCredentials, issueScimCredentials } from '../../support/admin-api';
import { writeDirectly } from '../../support/direct-writes';
import { e2eDatabase } from '../../support/e2e-target';
import { runNode } from '../../support/processes';
import { ERROR, okta, oktaUser, ScimTenant, scimTenant } from '../../support/scim-client';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

const FLOOD_CLIENT = resolve(__dirname, '../../support/request-flood.mjs');

/** Builds the app with these settings (read when it is built), restoring the environment after. */
async function appWith(settings: Record<string, string>): Promise<INestApplication> {
  const previous = Object.fromEntries(Object.keys(settings).map((name) => [name, process.env[name]]));
  Object.assign(process.env, settings);
  try {
    return await createTestApp();
  } finally {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) {
        delete process.env[name];
      } else {
        process.env[name] = value;
      }
    }
  }
}

/** `count` OR-ed `co` comparisons that match no one, so the database evaluates every one on every row. */
const costlyFilter = (count: number): string => Array.from({ length: count }, (_, index) => `displayName co "zq${index}"`).join(' or ');

const listPath = (filter: string): string => `/Users?filter=${encodeURIComponent(filter)}&startIndex=1&count=100`;

async function waitForMetric(app: INestApplication, pattern: RegExp, expected: (value: number) => boolean): Promise<void> {
  for (const deadline = Date.now() + 20_000; !expected(await metric(app, pattern)); await sleep(5)) {
    if (Date.now() > deadline) {
      throw new Error(`${String(pattern)} never reached what the test waits for`);
    }
  }
}

function baseUrl(app: INestApplication): string {
  const address = (app.getHttpServer() as Server).address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

async function metric(app: INestApplication, pattern: RegExp): Promise<number> {
  const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
  const match = pattern.exec(text);
  if (!match) {
    throw new Error(`no ${String(pattern)} in /metrics`);
  }
  return Number(match[1]);
}

/** `count` more users of the tenant, copied from one created by SCIM, written in bulk. */
async function addUsers(app: INestApplication, tenant: ScimTenant, count: number): Promise<void> {
  const created = await okta(app, tenant)
    .post('/Users', oktaUser(`template@${tenant.organizationId}.example.com`, 'Template', 'Person'))
    .expect(201);
  const users = app.get(DataSource).getRepository(User);
  const template = await users.findOneByOrFail({ id: (created.body as { id: string }).id });
  for (let first = 0; first < count; first += 500) {
    const batch = Array.from({ length: Math.min(500, count - first) }, (_, offset) => {
      const userName = `bulk-${first + offset}@${tenant.organizationId}.example.com`;
      return users.create({ ...template, id: randomUUID(), userName, userNameNormalized: userName, email: userName, externalId: null });
    });
    await writeDirectly(app, () => users.insert(batch));
  }
}

/** A second API key of the tenant's organization, with its own SCIM credential. */
async function secondCredential(app: INestApplication, tenant: ScimTenant): Promise<ScimTenant> {
  const created = await adminRequest(app, 'post', '/admin/v1/api-keys', tenant.apiKey, { description: 'second client' }).expect(201);
  const apiKey = created.body as ApiKeyCredentials;
  const credentials = await issueScimCredentials(app, apiKey);
  rememberSecret(apiKey.secret, credentials.password);
  return {
    ...tenant,
    apiKey,
    credentials,
    authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
  };
}

// The limiter is keyed by the credential's internal id, which no API returns.
async function credentialIdOf(app: INestApplication, tenant: ScimTenant): Promise<string> {
  const [row] = await app
    .get(DataSource)
    .query<{ id: string }[]>('SELECT id FROM scim_credentials WHERE username = ?', [tenant.credentials.username]);
  return row.id;
}

describe('the cost of one SCIM filter is bounded', () => {
  let app: INestApplication;
  let tenant: ScimTenant;

  beforeAll(async () => {
    app = await createTestApp();
    tenant = await scimTenant(app, 'clauses');
  });

  afterAll(async () => {
    await app.close();
  });

  it('accepts 10 comparisons and refuses 11, or the 161 of the issue, with 400 invalidFilter stating the maximum', async () => {
    const scim = okta(app, tenant);
    const before = await metric(app, /scim_filter_refusals_total\{reason="too_many_clauses"\} (\d+)/);
    const accepted = await scim.get(listPath(costlyFilter(10))).expect(200);
    expect(accepted.body).toMatchObject({ totalResults: 0, Resources: [] });
    // Five each: a comparison inside emails[...] and a presence test under not count as one.
    const mixed = 'emails[type eq "work" and value co "b"] or not (externalId pr) or name.givenName sw "c" or active eq true';
    expect((await scim.get(listPath(`${mixed} or ${mixed}`)).expect(200)).body.totalResults).toBeGreaterThan(0);

    for (const filter of [costlyFilter(11), `${mixed} or ${mixed} or userName eq "z"`, costlyFilter(161)]) {
      const refused = await scim.get(listPath(filter)).expect(400);
      expect(refused.body).toEqual({
        schemas: [ERROR],
        status: '400',
        scimType: 'invalidFilter',
        detail:
          'Filter has too many conditions: at most 10 comparisons and presence tests (such as userName eq "…" or externalId pr) are accepted in one filter',
      });
    }
    expect(await metric(app, /scim_filter_refusals_total\{reason="too_many_clauses"\} (\d+)/)).toBe(before + 3);
  });

  it('takes the maximum from SCIM_FILTER_MAX_CLAUSES', async () => {
    const strict = await appWith({ SCIM_FILTER_MAX_CLAUSES: '2' });
    try {
      await okta(strict, tenant).get(listPath('userName eq "a" or userName eq "b"')).expect(200);
      const refused = await okta(strict, tenant).get(listPath('userName eq "a" or userName eq "b" or userName eq "c"')).expect(400);
      expect(refused.body.detail).toMatch(/^Filter has too many conditions: at most 2 comparisons/);
    } finally {
      await strict.close();
    }
  });
});

describe('a filter query that runs too long on MySQL/MariaDB is stopped', () => {
  let app: INestApplication;
  let tenant: ScimTenant;

  beforeAll(async () => {
    // Low, so a filter over a few thousand users reaches it, but far above an indexed lookup.
    app = await appWith({ SCIM_FILTER_TIME_LIMIT_MS: '50' });
    tenant = await scimTenant(app, 'time-limit');
    await addUsers(app, tenant, 20_000);
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers 400 invalidFilter saying it is too expensive, and counts it; cheap filters and plain lists still work', async () => {
    const scim = okta(app, tenant);
    const before = await metric(app, /scim_filter_refusals_total\{reason="time_limit"\} (\d+)/);
    const response = await scim.get(listPath(costlyFilter(10)));
    if (e2eDatabase() === 'mysql') {
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        schemas: [ERROR],
        status: '400',
        scimType: 'invalidFilter',
        detail:
          'Filter is too expensive: it could not be evaluated within 50 ms. Use fewer conditions, or eq on userName, externalId or id.',
      });
      expect(await metric(app, /scim_filter_refusals_total\{reason="time_limit"\} (\d+)/)).toBe(before + 1);
    } else {
      // better-sqlite3 cannot interrupt a statement: on SQLite the clause limit bounds the cost.
      expect(response.status).toBe(200);
      expect(response.body.totalResults).toBe(0);
      expect(await metric(app, /scim_filter_refusals_total\{reason="time_limit"\} (\d+)/)).toBe(before);
    }
    const found = await scim.get(listPath(`userName eq "BULK-1234@${tenant.organizationId}.example.com"`)).expect(200);
    expect((found.body as { Resources: { userName: string }[] }).Resources.map((user) => user.userName)).toEqual([
      `bulk-1234@${tenant.organizationId}.example.com`,
    ]);
    const page = await scim.get('/Users?startIndex=19000&count=5').expect(200);
    expect(page.body.totalResults).toBe(20_002);
  });
});

describe('one SCIM credential cannot starve the others', () => {
  let app: INestApplication;
  let flooding: ScimTenant;
  let sameOrganization: ScimTenant;
  let otherOrganization: ScimTenant;

  beforeAll(async () => {
    app = await appWith({
      SCIM_CONCURRENT_REQUESTS_PER_CREDENTIAL: '1',
      SCIM_QUEUED_REQUESTS_PER_CREDENTIAL: '1',
      SCIM_QUEUE_TIMEOUT_MS: '2000',
    });
    flooding = await scimTenant(app, 'flooding');
    sameOrganization = await secondCredential(app, flooding);
    otherOrganization = await scimTenant(app, 'neighbour');
    await addUsers(app, flooding, 6000);
  });

  afterAll(async () => {
    await app.close();
  });

  it('past its turns and its line, a credential gets 429 with Retry-After, while other credentials are served', async () => {
    const before = {
      full: await metric(app, /scim_credential_requests_throttled_total\{reason="queue_full"\} (\d+)/),
      late: await metric(app, /scim_credential_requests_throttled_total\{reason="wait_timeout"\} (\d+)/),
    };
    // A long request of the flooding credential holds its only turn.
    const holding = await app.get(ScimRequestLimiter).acquire(await credentialIdOf(app, flooding));

    const waiting = okta(app, flooding)
      .get('/Users?count=1')
      .then((response) => response);
    await waitForMetric(app, /scim_credential_requests_waiting (\d+)/, (value) => value === 1);
    const refused = await okta(app, flooding).get(`/Users/${flooding.adminId}`).expect(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toEqual({
      schemas: [ERROR],
      status: '429',
      detail:
        'Too many concurrent requests with this SCIM credential: this service processes 1 requests of one SCIM credential at a time and lets up to 1 more wait, each for at most 2000 ms. Retry after 1 second.',
    });
    await okta(app, sameOrganization).get(`/Users/${flooding.adminId}`).expect(200);
    await okta(app, otherOrganization).get('/Users?count=1').expect(200);

    holding();
    expect((await waiting).status).toBe(200);

    // Held past the line's timeout, the waiting request is refused too.
    const heldAgain = await app.get(ScimRequestLimiter).acquire(await credentialIdOf(app, flooding));
    const late = await okta(app, flooding).get('/Users?count=1');
    heldAgain();
    expect(late.status).toBe(429);
    expect(late.headers['retry-after']).toBe('1');
    expect(late.body.detail).toMatch(/^This request waited too long behind earlier requests of the same SCIM credential/);

    expect(await metric(app, /scim_credential_requests_throttled_total\{reason="queue_full"\} (\d+)/)).toBe(before.full + 1);
    expect(await metric(app, /scim_credential_requests_throttled_total\{reason="wait_timeout"\} (\d+)/)).toBe(before.late + 1);
    await okta(app, flooding).get('/Users?count=1').expect(200);
  });

  // Whether a given request of the flood meets a full line depends on how the machine schedules the
  // two processes; the deterministic refusals are proven above. Here: a real flood from another
  // process is answered only 200 or 429 (with Retry-After), and neighbours are served meanwhile.
  it('a real flood of costly filters: the flooder gets 200s or 429s with Retry-After, everyone else is served', async () => {
    const throttled = /scim_credential_requests_throttled_total\{reason="queue_full"\} (\d+)/;
    const before = await metric(app, throttled);
    const flood = runNode(FLOOD_CLIENT, [], {
      FLOOD_URL: `${baseUrl(app)}/scim/v2${listPath(costlyFilter(10))}`,
      FLOOD_AUTHORIZATION: flooding.authorization,
      FLOOD_COUNT: '40',
    });
    // Once the flood is being refused, a neighbour's request is still served.
    await Promise.race([flood, waitForMetric(app, throttled, (value) => value > before)]);
    await okta(app, otherOrganization).get('/Users?count=1').expect(200);
    await okta(app, sameOrganization).get('/Users?count=1').expect(200);

    const result = await flood;
    expect(result.code, result.stderr).toBe(0);
    const responses = JSON.parse(result.stdout) as { status: number; retryAfter: string | null }[];
    expect(responses).toHaveLength(40);
    const refused = responses.filter((response) => response.status === 429);
    expect(refused.every((response) => response.retryAfter === '1')).toBe(true);
    expect(responses.filter((response) => response.status === 200).length).toBeGreaterThan(0);
    expect(responses.filter((response) => response.status !== 200 && response.status !== 429)).toEqual([]);
    // Nothing is left holding a turn.
    await okta(app, flooding).get('/Users?count=1').expect(200);
  });
});
