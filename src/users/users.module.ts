import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuditModule } from '../audit/audit.module';
import { RetentionModule } from '../retention/retention.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UserDirectory } from './user-directory';
import { UserLegalHoldsService } from './user-legal-holds.service';
import { UserProvisioningService } from './user-provisioning.service';
import { User } from './user.entity';
import { UsersAdminController } from './users-admin.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  // The entity stays known to TypeORM (schema tools, tests); the services go through UsersRepository.
  imports: [TypeOrmModule.forFeature([User]), AuditModule, ApiKeysModule, RetentionModule, SessionsModule],
  controllers: [UsersAdminController],
  providers: [UsersService, UserProvisioningService, UsersRepository, UserDirectory, UserLegalHoldsService],
  exports: [UsersService, UserProvisioningService, UserDirectory],
})
export class UsersModule {}
