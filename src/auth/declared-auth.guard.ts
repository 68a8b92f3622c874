import { CanActivate, ExecutionContext, Injectable, InternalServerErrorException, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AUTH_KIND, AuthKind } from './auth-kind.decorator';

/** Fail closed: a route that forgot to declare its authentication serves nobody. */
@Injectable()
export class DeclaredAuthGuard implements CanActivate {
  private readonly logger = new Logger(DeclaredAuthGuard.name);

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const kind = this.reflector.getAllAndOverride<AuthKind | undefined>(AUTH_KIND, [context.getHandler(), context.getClass()]);
    if (kind === undefined) {
      this.logger.error(`${context.getClass().name}.${context.getHandler().name} declares no authentication; refusing`);
      throw new InternalServerErrorException();
    }
    return true;
  }
}
