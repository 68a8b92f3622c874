import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { finalize, Observable, Subscription } from 'rxjs';
import { AuthenticatedRequest } from './principal';
import { ScimRequestLimiter } from './scim-request-limiter';

const COST_SET_BY_CLIENT = 'scim:cost-set-by-client';

/** The route's cost depends on what the client asks (see TurnOptions). */
export const CostSetByClient = (): MethodDecorator => SetMetadata(COST_SET_BY_CLIENT, true);

/**
 * Runs an authenticated SCIM request in its credential's turn (ScimRequestLimiter), holding the
 * turn until the handler's work is done, whatever its outcome.
 */
@Injectable()
export class ScimRequestLimitInterceptor implements NestInterceptor {
  constructor(
    private readonly limiter: ScimRequestLimiter,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
    if (principal?.kind !== 'scim') {
      return next.handle();
    }
    const costSetByClient = this.reflector.get<boolean | undefined>(COST_SET_BY_CLIENT, context.getHandler()) === true;
    return new Observable<unknown>((subscriber) => {
      let handling: Subscription | undefined;
      let unsubscribed = false;
      this.limiter.acquire(principal.credentialId, { costSetByClient }).then(
        (release) => {
          // A turn granted after the caller went away is handed on at once, never kept.
          if (unsubscribed) {
            release();
            return;
          }
          handling = next.handle().pipe(finalize(release)).subscribe(subscriber);
        },
        (error: unknown) => subscriber.error(error),
      );
      return () => {
        unsubscribed = true;
        handling?.unsubscribe();
      };
    });
  }
}
