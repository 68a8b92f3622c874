import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { finalize, Observable, Subscription } from 'rxjs';
import { AuthenticatedRequest } from './principal';
import { ScimRequestLimiter } from './scim-request-limiter';

/**
 * Runs an authenticated SCIM request in its credential's turn (ScimRequestLimiter), holding the
 * turn until the handler's work is done, whatever its outcome.
 */
@Injectable()
export class ScimRequestLimitInterceptor implements NestInterceptor {
  constructor(private readonly limiter: ScimRequestLimiter) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
    if (principal?.kind !== 'scim') {
      return next.handle();
    }
    return new Observable<unknown>((subscriber) => {
      let handling: Subscription | undefined;
      let unsubscribed = false;
      this.limiter.acquire(principal.credentialId).then(
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
