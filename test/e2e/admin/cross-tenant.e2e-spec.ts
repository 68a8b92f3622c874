import { INestApplication, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METHOD_NOT_ALLOWED } from '../../../src/scim/scim-request';
import { adminRequest } from '../../support/admin-api';
import { uploadRequest } from '../../support/purge-fixtures';
import { okta, oktaUser, patchOp, scimTenant, ScimTenant } from '../../support/scim-client';
import { createTestApp } from '../../support/test-app';

type Route = { method: string; path: string };

function routesWithIds(app: INestApplication): Route[] {
  const scanner = new MetadataScanner();
  return (
    [...app.get(ModulesContainer).values()]
      .flatMap((module) => [...module.controllers.values()])
      .flatMap((wrapper) => {
        const type = wrapper.metatype as (new (...args: unknown[]) => object) | undefined;
        if (!type) {
          return [];
        }
        const prefix = String(Reflect.getMetadata(PATH_METADATA, type) ?? '');
        return scanner.getAllMethodNames(type.prototype).flatMap((name) => {
          const handler = (type.prototype as Record<string, unknown>)[name] as object;
          const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
          const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
          // Method-only refusals (405) never look at the id; scim-users.e2e-spec.ts covers them.
          if (method === undefined || method === RequestMethod.ALL || Reflect.getMetadata(METHOD_NOT_ALLOWED, handler) === true) {
            return [];
          }
          return (Array.isArray(paths) ? paths : [paths ?? '']).map((path) => ({
            method: RequestMethod[method],
            path: `/${prefix}/${path}`.replace(/\/+/g, '/').replace(/\/$/, ''),
          }));
        });
      })
      // The web console's routes (a session and a CSRF token, not a signature): test/e2e/console/console-http.e2e-spec.ts has their matrix.
      .filter((route) => route.path.includes('/:') && (route.path.startsWith('/admin/v1/') || route.path.startsWith('/scim/')))
  );
}

/** Every route that takes an id, called by organization A with organization B's real ids: always 404, nothing changes. */
describe('cross-tenant matrix', () => {
  let app: INestApplication;
  let a: ScimTenant;
  let b: ScimTenant;
  const idsOfB: Record<string, string> = {};

  beforeAll(async () => {
    process.env.AUTH_FAILURES_PER_ADDRESS = '100000';
    app = await createTestApp();
    a = await scimTenant(app, 'tenant-a');
    b = await scimTenant(app, 'tenant-b');
    const scimB = okta(app, b);
    const user = (await scimB.post('/Users', oktaUser('b.user@example.com', 'Bee', 'User')).expect(201)).body.id as string;
    const leaver = (await scimB.post('/Users', oktaUser('b.leaver@example.com', 'Lea', 'Ver')).expect(201)).body.id as string;
    await scimB.patch(`/Users/${leaver}`, patchOp({ op: 'replace', value: { active: false } })).expect(200);
    const purges = (await adminRequest(app, 'get', '/admin/v1/purges', b.apiKey).expect(200)).body as { items: { id: string }[] };
    Object.assign(idsOfB, { user, apiKey: b.apiKey.id, purge: purges.items[0].id });
  });

  afterAll(async () => {
    await app.close();
  });

  async function stateOfB(): Promise<unknown> {
    const strip = (items: Record<string, unknown>[]): unknown => items.map(({ lastUsedAt: _l, updatedAt: _u, ...rest }) => rest);
    return {
      keys: strip(
        ((await adminRequest(app, 'get', '/admin/v1/api-keys', b.apiKey).expect(200)).body as { items: Record<string, unknown>[] }).items,
      ),
      users: strip(
        ((await adminRequest(app, 'get', '/admin/v1/users?limit=200', b.apiKey).expect(200)).body as { items: Record<string, unknown>[] })
          .items,
      ),
      purges: (
        (await adminRequest(app, 'get', '/admin/v1/purges', b.apiKey).expect(200)).body as { items: { id: string; state: string }[] }
      ).items.map((purge) => purge.id),
      history: (await adminRequest(app, 'get', `/admin/v1/users/${idsOfB.user}/history`, b.apiKey).expect(200)).body as unknown,
    };
  }

  function idFor(path: string): string {
    if (path.startsWith('/admin/v1/api-keys/')) {
      return idsOfB.apiKey;
    }
    if (path.startsWith('/admin/v1/purges/')) {
      return idsOfB.purge;
    }
    if (path.startsWith('/admin/v1/users/') || path.startsWith('/scim/v2/Users/')) {
      return idsOfB.user;
    }
    throw new Error(`no cross-tenant id known for ${path}: add it to this matrix`);
  }

  it('covers every id-taking admin and SCIM route', () => {
    const routes = routesWithIds(app).filter((route) => !/\/(Schemas|ResourceTypes)\//.test(route.path));
    expect(routes.length).toBeGreaterThanOrEqual(14);
    for (const route of routes) {
      expect(() => idFor(route.path), `${route.method} ${route.path}`).not.toThrow();
    }
  });

  it("answers 404 to A for each of B's ids and changes nothing of B's", async () => {
    const before = await stateOfB();
    const checked: string[] = [];
    for (const route of routesWithIds(app).filter((candidate) => !/\/(Schemas|ResourceTypes)\//.test(candidate.path))) {
      const path = route.path.replace(/:\w+/g, idFor(route.path));
      const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
      let response: request.Response;
      if (path.startsWith('/scim/')) {
        const scim = okta(app, a);
        response =
          method === 'get' || method === 'delete'
            ? await scim[method](path.slice('/scim/v2'.length))
            : await scim[method](path.slice('/scim/v2'.length), patchOp({ op: 'replace', value: { active: false } }));
      } else if (path.endsWith('/files')) {
        response = await uploadRequest(app, a.apiKey, idsOfB.user, 'x.txt', Buffer.from('cross-tenant'));
      } else {
        response = await adminRequest(
          app,
          method === 'put' || method === 'patch' ? 'post' : method,
          path,
          a.apiKey,
          method === 'post' ? { subject: 's', body: 'b' } : undefined,
        );
      }
      expect(response.status, `${route.method} ${route.path}`).toBe(404);
      checked.push(`${route.method} ${route.path}`);
    }
    expect(await stateOfB()).toEqual(before);
    console.log(`cross-tenant matrix: ${checked.length} routes answered 404: ${checked.join(', ')}`);
  });
});
