import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RedisModule } from '../redis/redis.module';
import { SecretsModule } from '../secrets/secrets.module';
import { ScimCredentialCache } from './scim-credential-cache';
import { ScimCredential } from './scim-credential.entity';
import { ScimCredentialsRepository } from './scim-credentials.repository';
import { ScimCredentialsService } from './scim-credentials.service';

@Module({
  // The entity stays known to TypeORM (schema tools, tests); the service goes through its repository.
  imports: [TypeOrmModule.forFeature([ScimCredential]), SecretsModule, RedisModule],
  providers: [ScimCredentialsService, ScimCredentialsRepository, ScimCredentialCache],
  exports: [ScimCredentialsService],
})
export class ScimCredentialsModule {}
