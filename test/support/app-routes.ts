import { INestApplication, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { AUTH_KIND, AuthKind } from '../../src/auth/auth-kind.decorator';

export type Route = { name: string; path: string; method: string; auth: AuthKind | undefined };

/** Every handler of every controller in the real AppModule, with the authentication it declares. */
export function allRoutes(app: INestApplication): Route[] {
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
