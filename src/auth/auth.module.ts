import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuditModule } from '../audit/audit.module';
import { RedisModule } from '../redis/redis.module';
import { SecretsModule } from '../secrets/secrets.module';
import { AdminSignatureGuard } from './admin-signature.guard';
import { AuthFailureRecorder } from './auth-failure-recorder';
import { DeclaredAuthGuard } from './declared-auth.guard';
import { FailedAuthThrottle } from './failed-auth-throttle';
import { LastUsedTracker } from './last-used-tracker';
import { ScimAuthGuard } from './scim-auth.guard';
import { ScimBasicStrategy } from './scim-basic.strategy';
import { ScimCredentialVerifier } from './scim-credential-verifier';
import { ScimRequestLimiter } from './scim-request-limiter';

/** Global because every feature module's controllers use its guards. */
@Global()
@Module({
  imports: [PassportModule, ApiKeysModule, AuditModule, RedisModule, SecretsModule],
  providers: [
    { provide: APP_GUARD, useClass: DeclaredAuthGuard },
    AdminSignatureGuard,
    ScimAuthGuard,
    ScimBasicStrategy,
    ScimCredentialVerifier,
    FailedAuthThrottle,
    AuthFailureRecorder,
    LastUsedTracker,
    ScimRequestLimiter,
  ],
  // Guards are instantiated in each controller's module, so what they inject must be visible everywhere.
  exports: [ApiKeysModule, AuthFailureRecorder, LastUsedTracker, ScimCredentialVerifier, ScimRequestLimiter],
})
export class AuthModule {}
