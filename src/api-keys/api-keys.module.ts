import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { ScimCredentialsModule } from '../scim-credentials/scim-credentials.module';
import { SecretsModule } from '../secrets/secrets.module';
import { ApiKey } from './api-key.entity';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';

@Module({
  // The entity stays known to TypeORM (schema tools, tests); the service goes through its repository.
  imports: [TypeOrmModule.forFeature([ApiKey]), AuditModule, ScimCredentialsModule, SecretsModule],
  controllers: [ApiKeysController],
  providers: [ApiKeysService, ApiKeysRepository],
  exports: [ApiKeysService],
})
export class ApiKeysModule {}
