import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuditModule } from '../audit/audit.module';
import { HistoryModule } from '../history/history.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { RetentionModule } from '../retention/retention.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SignInLinksModule } from '../sign-in-links/sign-in-links.module';
import { SsoModule } from '../sso/sso.module';
import { UsersModule } from '../users/users.module';
import { ConsoleActions } from './console-actions';
import { ConsoleAdminController } from './console-admin.controller';
import { ConsoleAssetsController } from './console-assets.controller';
import { ConsoleAuthenticator } from './console-authenticator';
import { ConsoleGate } from './console-gate';
import { ConsoleHistoryController } from './console-history.controller';
import { ConsolePagesController } from './console-pages.controller';
import { ConsoleRenderer } from './console-renderer';

/**
 * The web console: server-rendered pages on each organization's host for its users (sign-in, home,
 * account) and administrators (API keys, users, purges, single sign-on, audit trail). A leaf: it
 * calls other modules only through ConsoleActions.
 */
@Module({
  imports: [
    ApiKeysModule,
    AuditModule,
    HistoryModule,
    OrganizationsModule,
    RetentionModule,
    SessionsModule,
    SignInLinksModule,
    SsoModule,
    UsersModule,
  ],
  controllers: [ConsolePagesController, ConsoleHistoryController, ConsoleAdminController, ConsoleAssetsController],
  providers: [ConsoleActions, ConsoleAuthenticator, ConsoleGate, ConsoleRenderer],
})
export class ConsoleModule {}
