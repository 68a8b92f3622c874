import { Module } from '@nestjs/common';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { OrganizationsModule } from '../organizations/organizations.module';

/** What the operator commands need: no HTTP server, no request logging. */
@Module({
  imports: [ConfigModule, DatabaseModule, OrganizationsModule],
})
export class CliModule {}
