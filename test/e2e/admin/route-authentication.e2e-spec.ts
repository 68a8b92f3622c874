import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audienceOfRoute } from '../../../src/auth/early-authentication';
import { OrganizationsService } from '../../../src/organizations/organizations.service';
import { allRoutes } from '../../support/app-routes';
import { createTestApp } from '../../support/test-app';

const CONSOLE_PATHS =
  /^$|^\/($|login(\/link)?$|logout$|account(\/|$)|admin\/(users|purges|sso|audit)(\/|$)|(messages|files)\/|console\/assets\/)/;

describe('every route declares its authentication', () => {
  let app: INestApplication;

  beforeAll(async () => {
    // One unauthenticated request per route from one address: keep the throttle out of the way.
    process.env.AUTH_FAILURES_PER_ADDRESS = '100000';
    app = await createTestApp();
  });

  afterAll(async () => {
    await app.close();
  });

  it('finds the routes of every audience', () => {
    const routes = allRoutes(app);
    expect(routes.length).toBeGreaterThan(10);
    expect(new Set(routes.map((route) => route.auth))).toEqual(new Set(['public', 'admin', 'scim', 'sso', 'session', 'console']));
  });

  it('declares public, admin, scim, sso, session or console on each handler or its controller', () => {
    const undeclared = allRoutes(app).filter((route) => route.auth === undefined);
    expect(undeclared.map((route) => route.name)).toEqual([]);
  });

  it('keeps public only what must be public', () => {
    const publicRoutes = allRoutes(app)
      .filter((route) => route.auth === 'public')
      .map((route) => `${route.method} ${route.path}`);
    expect(publicRoutes.sort()).toEqual(['GET /health/live', 'GET /health/ready', 'GET /metrics']);
  });

  it('puts admin routes under /admin/v1, SCIM routes under /scim/v2, SAML routes under /sso, session routes under /session and console pages at theirs', () => {
    for (const route of allRoutes(app)) {
      if (route.auth === 'sso') {
        expect(route.path, route.name).toMatch(/^\/sso\//);
      }
      if (route.auth === 'session') {
        expect(route.path, route.name).toMatch(/^\/session(\/|$)/);
      }
      if (route.auth === 'console') {
        expect(route.path, route.name).toMatch(CONSOLE_PATHS);
      }
      if (route.auth === 'admin') {
        expect(route.path, route.name).toMatch(/^\/admin\/v1\//);
      }
      if (route.auth === 'scim') {
        expect(route.path, route.name).toMatch(/^\/scim\/v2(\/|$)/);
      }
    }
  });

  it("serves the SAML routes only on an organization's host: elsewhere 404, never a redirect or metadata", async () => {
    const samlRoutes = allRoutes(app).filter((route) => route.auth === 'sso');
    expect(samlRoutes.map((route) => `${route.method} ${route.path}`).sort()).toEqual([
      'GET /sso/login',
      'GET /sso/metadata',
      'POST /sso/acs',
    ]);
    for (const route of samlRoutes) {
      const response = await request(app.getHttpServer())[route.method.toLowerCase() as 'get' | 'post'](route.path);
      expect(response.status, `${route.method} ${route.path}`).toBe(404);
    }
  });

  it('declares admin on every route under /admin/v1 and scim on every route under /scim/v2, as the early authentication assumes', () => {
    for (const route of allRoutes(app)) {
      const audience = audienceOfRoute(route.path);
      if (audience !== null) {
        expect(route.auth, route.name).toBe(audience);
      }
    }
    expect(audienceOfRoute('/admin/docs')).toBeNull();
    expect(audienceOfRoute('/health/ready')).toBeNull();
    expect(audienceOfRoute(undefined)).toBeNull();
  });

  it('refuses every route that takes credentials when it has none', async () => {
    for (const route of allRoutes(app).filter((candidate) => !['public', 'sso', 'console'].includes(candidate.auth ?? ''))) {
      const path = route.path.replace(/:(\w+)/g, 'some-$1').replace(/\*\w+/g, 'anything');
      // A catch-all handler (@All) answers any method; PUT stands in for them.
      const method = (route.method === 'ALL' ? 'put' : route.method.toLowerCase()) as 'get' | 'post' | 'put' | 'patch' | 'delete';
      const response = await request(app.getHttpServer())[method](path);
      expect(response.status, `${route.method} ${path}`).toBe(401);
    }
  });

  it('shows no console page and takes no console form without a session: sign-in pages and assets aside, a redirect to /login, 404 off an organization host, and 403 for any post', async () => {
    const { organization } = await app
      .get(OrganizationsService)
      .bootstrap({ orgName: 'Routes', hostname: 'routes.localhost', adminEmail: 'admin@routes.localhost' });
    const open = ['GET /login', 'GET /login/link', 'GET /console/assets/:name'];
    for (const route of allRoutes(app).filter((candidate) => candidate.auth === 'console')) {
      const path = (route.path || '/').replace(/:(\w+)/g, 'some-$1');
      const method = route.method.toLowerCase() as 'get' | 'post';
      const offHost = await request(app.getHttpServer())[method](path);
      expect(offHost.status, `${route.method} ${path} off host`).toBe(method === 'post' ? 403 : 404);
      if (method === 'post') {
        const onHost = await request(app.getHttpServer()).post(path).set('Host', organization.hostname);
        expect(onHost.status, `${route.method} ${path}`).toBe(403);
      } else if (!open.includes(`${route.method} ${route.path}`)) {
        const onHost = await request(app.getHttpServer()).get(path).set('Host', organization.hostname);
        expect(`${onHost.status} ${String(onHost.headers.location)}`, `${route.method} ${path}`).toBe('303 /login');
      }
    }
  });
});
