import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { HistoryModule } from '../history/history.module';
import { KeyRotationModule } from '../key-rotation/key-rotation.module';
import { MetricsModule } from '../metrics/metrics.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { SignInLinksModule } from '../sign-in-links/sign-in-links.module';

/** What the operator commands need: no HTTP server, no request logging. */
@Module({
  imports: [
    ConfigModule,
    DatabaseModule,
    MetricsModule,
    AuthModule,
    OrganizationsModule,
    KeyRotationModule,
    SignInLinksModule,
    HistoryModule,
  ],
})
export class CliModule {}
