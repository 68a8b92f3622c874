import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { RetentionModule } from '../retention/retention.module';
import { UsersModule } from '../users/users.module';
import { OrganizationHosts } from './organization-hosts';
import { Organization } from './organization.entity';
import { OrganizationsController } from './organizations.controller';
import { OrganizationsRepository } from './organizations.repository';
import { OrganizationsService } from './organizations.service';

@Module({
  imports: [TypeOrmModule.forFeature([Organization]), UsersModule, ApiKeysModule, RetentionModule],
  controllers: [OrganizationsController],
  providers: [OrganizationsService, OrganizationsRepository, OrganizationHosts],
  exports: [OrganizationsService, OrganizationHosts],
})
export class OrganizationsModule {}
