import { SetMetadata } from '@nestjs/common';

/** The metadata key under which every route declares who may call it; auth's guards read it. */
export const AUTH_KIND = 'auth:kind';

/**
 * A route anyone may call (probes, the metrics scrape). Here rather than in auth/ so that
 * infrastructure can declare its routes without importing a feature.
 */
export const PublicRoute = (): MethodDecorator & ClassDecorator => SetMetadata(AUTH_KIND, 'public');
