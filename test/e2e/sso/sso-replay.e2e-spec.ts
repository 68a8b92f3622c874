import { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsoHousekeeping } from '../../../src/sso/sso-housekeeping';
import { e2eDatabase, redisUrl } from '../../support/e2e-target';
import { TestIdentityProvider } from '../../support/saml-idp';
import { expectRefused, postAcs, provision, SsoOrganization, ssoOrganization, startSignIn, trustIdp } from '../../support/sso';
import { createTestApp } from '../../support/test-app';

/** Two service processes (two apps on one database and, with MariaDB, one Redis), as behind a load balancer. */
describe('single use of assertions and requests, across processes', () => {
  let a: INestApplication;
  let b: INestApplication;
  let idp: TestIdentityProvider;
  let org: SsoOrganization;

  beforeAll(async () => {
    a = await createTestApp();
    b = await createTestApp();
    idp = await TestIdentityProvider.create();
    org = await ssoOrganization(a, 'replay');
    await trustIdp(a, org, idp);
    await provision(a, org, 'ida@replay.test');
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('refuses in one process an assertion the other accepted', async () => {
    const response = await idp.response(org.sp, { nameId: 'ida@replay.test' });
    expect((await postAcs(a, org.hostname, response)).status).toBe(303);
    expectRefused(await postAcs(b, org.hostname, response), 401, 'replayed');
  });

  it('lets exactly one of many concurrent copies through, whichever process gets them', async () => {
    const response = await idp.response(org.sp, { nameId: 'ida@replay.test' });
    const copies = await Promise.all(Array.from({ length: 8 }, (_, i) => postAcs(i % 2 === 0 ? a : b, org.hostname, response)));
    expect(copies.map((copy) => copy.status).sort()).toEqual([303, ...Array<number>(7).fill(401)]);
  });

  it('lets one of two different answers to one request through, across processes', async () => {
    const started = await startSignIn(a, org, idp);
    const answers = await Promise.all(
      [a, b, a, b].map(async (app) =>
        postAcs(
          app,
          org.hostname,
          await idp.response(org.sp, { nameId: 'ida@replay.test', inResponseTo: started.id }),
          started.relayState!,
        ),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([303, 401, 401, 401]);
  });

  it('remembers an accepted assertion id, hashed, until the assertion could no longer be accepted; then it is swept', async () => {
    const assertionId = `_remembered${Date.now()}`;
    const notOnOrAfter = new Date(Date.now() + 5 * 60_000);
    expect(
      (await postAcs(a, org.hostname, await idp.response(org.sp, { nameId: 'ida@replay.test', assertionId, notOnOrAfter }))).status,
    ).toBe(303);
    if (e2eDatabase() === 'mysql') {
      const redis = new Redis(redisUrl);
      try {
        const keys = await redis.keys(`${process.env.REDIS_KEY_PREFIX}:sso-assertion:${org.organizationId}:*`);
        expect(keys.length).toBeGreaterThan(0);
        expect(keys.some((key) => key.includes(assertionId))).toBe(false);
        const ttls = await Promise.all(keys.map((key) => redis.pttl(key)));
        // Kept until NotOnOrAfter plus the 3-minute skew.
        expect(Math.max(...ttls)).toBeGreaterThan(7 * 60_000);
        expect(Math.max(...ttls)).toBeLessThanOrEqual(8 * 60_000 + 1000);
      } finally {
        redis.disconnect();
      }
    } else {
      // The replay cache's rows are what the sweep removes; no API shows them.
      const dataSource = a.get(DataSource);
      const count = async (): Promise<number> =>
        Number(
          (
            await dataSource.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM saml_assertion_ids WHERE organization_id = ?', [
              org.organizationId,
            ])
          )[0].n,
        );
      const before = await count();
      expect(before).toBeGreaterThan(0);
      expect(await b.get(SsoHousekeeping).sweep(new Date())).toMatchObject({ assertionIds: 0 });
      expect((await b.get(SsoHousekeeping).sweep(new Date(Date.now() + 9 * 60_000))).assertionIds).toBe(before);
      expect(await count()).toBe(0);
    }
  });

  it('sweeps requests never answered once they expire', async () => {
    await startSignIn(a, org, idp);
    const swept = await b.get(SsoHousekeeping).sweep(new Date(Date.now() + 11 * 60_000));
    expect(swept.requests).toBeGreaterThanOrEqual(1);
    // Pending sign-in requests are state no API lists.
    const left = await a
      .get(DataSource)
      .query<{ n: number }[]>('SELECT COUNT(*) AS n FROM sso_requests WHERE organization_id = ?', [org.organizationId]);
    expect(Number(left[0].n)).toBe(0);
  });
});
