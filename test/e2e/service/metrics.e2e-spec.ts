import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eDatabase } from '../../support/e2e-target';
import { okta, scimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

describe('Prometheus metrics', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });

  afterAll(async () => {
    await app.close();
  });

  it('counts requests by route template, method and status, with latency histograms', async () => {
    const tenant = await scimTenant(app, 'metrics');
    await okta(app, tenant).get('/Users').expect(200);
    await okta(app, tenant).get(`/Users/${tenant.adminId}`).expect(200);
    await okta(app, tenant).get('/Users/nope').expect(404);
    const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/scim\/v2\/Users",status="200"\} [1-9]/);
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/scim\/v2\/Users\/:id",status="200"\} [1-9]/);
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/scim\/v2\/Users\/:id",status="404"\} [1-9]/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.05",method="GET",route="\/scim\/v2\/Users",status="200"\}/);
    expect(text).not.toContain(tenant.adminId);
  });

  it('counts failed authentications by audience and reason', async () => {
    await request(app.getHttpServer()).get('/scim/v2/Users').set('Authorization', 'non-token').expect(401);
    await request(app.getHttpServer()).get('/admin/v1/organization').expect(401);
    const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(text).toMatch(/auth_failures_total\{audience="scim",reason="malformed_credentials"\} [1-9]/);
    expect(text).toMatch(/auth_failures_total\{audience="admin",reason="missing_headers"\} [1-9]/);
  });

  it('reports process metrics, and database pool use on MySQL', async () => {
    const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(text).toContain('process_resident_memory_bytes');
    if (e2eDatabase() === 'mysql') {
      expect(text).toMatch(/db_pool_connections [1-9]/);
      expect(text).toMatch(/db_pool_connections_in_use \d/);
    } else {
      expect(text).not.toMatch(/^db_pool_connections \d/m);
    }
  });
});
