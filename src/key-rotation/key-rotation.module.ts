import { Module } from '@nestjs/common';
import { ContentEncryptionModule } from '../content-encryption/content-encryption.module';
import { SecretsModule } from '../secrets/secrets.module';
import { CredentialSecretsRepository } from './credential-secrets.repository';
import { KeyRotationService } from './key-rotation.service';

/** `npm run cli -- rotate-encryption-key`: what a server key protects, moved to the current one. */
@Module({
  imports: [ContentEncryptionModule, SecretsModule],
  providers: [CredentialSecretsRepository, KeyRotationService],
  exports: [KeyRotationService],
})
export class KeyRotationModule {}
