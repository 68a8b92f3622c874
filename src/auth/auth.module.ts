import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuditModule } from '../audit/audit.module';
import { RedisModule } from '../redis/redis.module';
import { ScimCredentialsModule } from '../scim-credentials/scim-credentials.module';
import { SecretsModule } from '../secrets/secrets.module';
import { AdminRequestAuthenticator } from './admin-request-authenticator';
import { AdminSignatureGuard } from './admin-signature.guard';
import { AuthFailureRecorder } from './auth-failure-recorder';
import { DeclaredAuthGuard } from './declared-auth.guard';
import { FailedAuthThrottle } from './failed-auth-throttle';
import { LastUsedTracker } from './last-used-tracker';
import { RequestNonce } from './request-nonce.entity';
import { RequestNonceRepository } from './request-nonce.repository';
import { RequestNonces } from './request-nonces';
import { ScimAuthGuard } from './scim-auth.guard';
import { ScimBasicStrategy } from './scim-basic.strategy';
import { ScimCredentialVerifier } from './scim-credential-verifier';
import { ScimRequestAuthenticator } from './scim-request-authenticator';
import { ScimRequestLimiter } from './scim-request-limiter';

/** Global because every feature module's controllers use its guards. */
@Global()
@Module({
  imports: [
    PassportModule,
    TypeOrmModule.forFeature([RequestNonce]),
    ApiKeysModule,
    ScimCredentialsModule,
    AuditModule,
    RedisModule,
    SecretsModule,
  ],
  providers: [
    { provide: APP_GUARD, useClass: DeclaredAuthGuard },
    AdminSignatureGuard,
    AdminRequestAuthenticator,
    RequestNonces,
    RequestNonceRepository,
    ScimAuthGuard,
    ScimBasicStrategy,
    ScimRequestAuthenticator,
    ScimCredentialVerifier,
    FailedAuthThrottle,
    AuthFailureRecorder,
    LastUsedTracker,
    ScimRequestLimiter,
  ],
  // Guards are instantiated in each controller's module, so what they inject must be visible everywhere.
  exports: [
    ApiKeysModule,
    ScimCredentialsModule,
    AdminRequestAuthenticator,
    ScimRequestAuthenticator,
    AuthFailureRecorder,
    LastUsedTracker,
    ScimCredentialVerifier,
    ScimRequestLimiter,
  ],
})
export class AuthModule {}
