import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { RedisModule } from '../redis/redis.module';
import { SecretsModule } from '../secrets/secrets.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AssertionIdsRepository } from './assertion-ids.repository';
import { AssertionReplayCache } from './assertion-replay-cache';
import { SamlRequestsRepository } from './saml-requests.repository';
import { ServiceProviderUrlsFactory } from './service-provider-urls';
import { SessionGuard } from './session-auth';
import { SessionAuthenticator } from './session-authenticator';
import { SessionCookie } from './session-cookie';
import { SessionController } from './session.controller';
import { SessionsAdminController } from './sessions-admin.controller';
import { SsoAdminController } from './sso-admin.controller';
import { SsoConfigurationRepository } from './sso-configuration.repository';
import { SsoConfigurationService } from './sso-configuration.service';
import { SsoHousekeeping } from './sso-housekeeping';
import { SsoMetrics } from './sso-metrics';
import { SsoSignInService } from './sso-sign-in.service';
import { SsoController } from './sso.controller';

/**
 * SAML 2.0 single sign-on for provisioned users: per-organization service-provider configuration
 * (admin API), the service-provider endpoints on each organization's host, and the session routes.
 */
@Module({
  imports: [AuditModule, OrganizationsModule, RedisModule, SecretsModule, SessionsModule, UsersModule],
  controllers: [SsoController, SsoAdminController, SessionController, SessionsAdminController],
  providers: [
    AssertionIdsRepository,
    AssertionReplayCache,
    SamlRequestsRepository,
    ServiceProviderUrlsFactory,
    SessionAuthenticator,
    SessionCookie,
    SessionGuard,
    SsoConfigurationRepository,
    SsoConfigurationService,
    SsoHousekeeping,
    SsoMetrics,
    SsoSignInService,
  ],
  // For the web console (src/console), which signs people in with the same sessions and settings.
  exports: [SessionCookie, SsoConfigurationService],
})
export class SsoModule {}
