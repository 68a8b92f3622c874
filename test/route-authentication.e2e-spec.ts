import { INestApplication, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_KIND, AuthKind } from '../src/auth/auth-kind.decorator';
import { audienceOfRoute } from '../src/auth/early-authentication';
import { createTestApp } from './support/test-app';

type Route = { name: string; path: string; method: string; auth: AuthKind | undefined };

/** Every handler of every controller in the real AppModule, with the authentication it declares. */
function allRoutes(app: INestApplication): Route[] {
  const scanner = new MetadataScanner();
  const reflector = app.get(Reflector);
  const controllers = [...app.get(ModulesContainer).values()].flatMap((module) => [...module.controllers.values()]);
  return controllers.flatMap((wrapper) => {
    const type = wrapper.metatype as (new (...args: unknown[]) => object) | undefined;
    if (!type) {
      return [];
    }
    const prefix = String(Reflect.getMetadata(PATH_METADATA, type) ?? '');
    return scanner.getAllMethodNames(type.prototype).flatMap((methodName) => {
      const handler = (type.prototype as Record<string, unknown>)[methodName] as (...args: unknown[]) => unknown;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) {
        return [];
      }
      const handlerPaths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      return (Array.isArray(handlerPaths) ? handlerPaths : [handlerPaths ?? '']).map((handlerPath) => ({
        name: `${type.name}.${methodName}`,
        path: `/${prefix}/${handlerPath}`.replace(/\/+/g, '/').replace(/\/$/, ''),
        method: RequestMethod[method],
        auth: reflector.getAllAndOverride<AuthKind | undefined>(AUTH_KIND, [handler, type]),
      }));
    });
  });
}

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
    expect(new Set(routes.map((route) => route.auth))).toEqual(new Set(['public', 'admin', 'scim']));
  });

  it('declares public, admin or scim on each handler or its controller', () => {
    const undeclared = allRoutes(app).filter((route) => route.auth === undefined);
    expect(undeclared.map((route) => route.name)).toEqual([]);
  });

  it('keeps public only what must be public', () => {
    const publicRoutes = allRoutes(app)
      .filter((route) => route.auth === 'public')
      .map((route) => `${route.method} ${route.path}`);
    expect(publicRoutes.sort()).toEqual(['GET /health/live', 'GET /health/ready', 'GET /metrics']);
  });

  it('puts admin routes under /admin/v1 and SCIM routes under /scim/v2', () => {
    for (const route of allRoutes(app)) {
      if (route.auth === 'admin') {
        expect(route.path, route.name).toMatch(/^\/admin\/v1\//);
      }
      if (route.auth === 'scim') {
        expect(route.path, route.name).toMatch(/^\/scim\/v2(\/|$)/);
      }
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

  it('refuses every non-public route without credentials', async () => {
    for (const route of allRoutes(app).filter((candidate) => candidate.auth !== 'public')) {
      const path = route.path.replace(/:(\w+)/g, 'some-$1').replace(/\*\w+/g, 'anything');
      // A catch-all handler (@All) answers any method; PUT stands in for them.
      const method = (route.method === 'ALL' ? 'put' : route.method.toLowerCase()) as 'get' | 'post' | 'put' | 'patch' | 'delete';
      const response = await request(app.getHttpServer())[method](path);
      expect(response.status, `${route.method} ${path}`).toBe(401);
    }
  });
});
