import { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest, bootstrapOrganization, BootstrappedOrganization } from '../../support/admin-api';
import { rememberSecret } from '../../support/secret-ledger';
import { createTestApp } from '../../support/test-app';

describe('admin list paging', () => {
  let app: INestApplication;
  let org: BootstrappedOrganization;

  beforeAll(async () => {
    app = await createTestApp();
    org = await bootstrapOrganization(app, 'paging');
    rememberSecret(org.apiKey.secret);
  });

  afterAll(async () => {
    await app.close();
  });

  it('names the expected range once, whatever is wrong with limit or offset', async () => {
    for (const path of ['/admin/v1/audit-events', '/admin/v1/purges', '/admin/v1/users']) {
      for (const [query, message] of [
        ['limit=abc', 'limit must be an integer from 1 to 200'],
        ['limit=1.5', 'limit must be an integer from 1 to 200'],
        ['limit=0', 'limit must be an integer from 1 to 200'],
        ['limit=201', 'limit must be an integer from 1 to 200'],
        ['offset=-1', 'offset must be an integer from 0 to 1000000'],
        ['offset=x', 'offset must be an integer from 0 to 1000000'],
      ]) {
        const response = await adminRequest(app, 'get', `${path}?${query}`, org.apiKey);
        expect(response.status, `${path}?${query}`).toBe(400);
        expect(response.body.message, `${path}?${query}`).toBe(message);
      }
      await adminRequest(app, 'get', `${path}?limit=200&offset=0`, org.apiKey).expect(200);
    }
  });
});
