import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { RedisModule } from '../redis/redis.module';
import { SecretsModule } from '../secrets/secrets.module';
import { ApiKey } from './api-key.entity';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { ScimCredentialCache } from './scim-credential-cache';
import { ScimCredential } from './scim-credential.entity';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKey, ScimCredential]), AuditModule, SecretsModule, RedisModule],
  controllers: [ApiKeysController],
  providers: [ApiKeysService, ScimCredentialCache],
  exports: [ApiKeysService],
})
export class ApiKeysModule {}
