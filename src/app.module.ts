import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { ErrorsModule } from './common/errors/errors.module';
import { RequestValidationPipe } from './common/validation/request-validation.pipe';
import { SingleValuedQueryPipe } from './common/validation/single-valued-query.pipe';
import { ConfigModule } from './config/config.module';
import { ConsoleModule } from './console/console.module';
import { ContentEncryptionModule } from './content-encryption/content-encryption.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { HistoryModule } from './history/history.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { OrganizationsModule } from './organizations/organizations.module';
import { RetentionModule } from './retention/retention.module';
import { PurgeRunnerModule } from './retention/runner/purge-runner.module';
import { ScimModule } from './scim/scim.module';
import { SessionsModule } from './sessions/sessions.module';
import { SsoModule } from './sso/sso.module';
import { UsersModule } from './users/users.module';

@Module({
  imports: [
    ConfigModule,
    ErrorsModule,
    LoggingModule,
    DatabaseModule,
    HealthModule,
    MetricsModule,
    AuthModule,
    AuditModule,
    ApiKeysModule,
    UsersModule,
    OrganizationsModule,
    RetentionModule,
    PurgeRunnerModule,
    HistoryModule,
    ContentEncryptionModule,
    ScimModule,
    SessionsModule,
    SsoModule,
    ConsoleModule,
  ],
  providers: [
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    // In this order: a repeated query parameter is refused before a DTO reads it.
    { provide: APP_PIPE, useClass: SingleValuedQueryPipe },
    { provide: APP_PIPE, useClass: RequestValidationPipe },
  ],
})
export class AppModule {}
