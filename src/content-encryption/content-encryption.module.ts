import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecretsModule } from '../secrets/secrets.module';
import { DataKeyRotation } from './data-key-rotation';
import { DataKeyRepository } from './data-key.repository';
import { DataKeys } from './data-keys.service';
import { DestroyedDataKeyTombstone } from './destroyed-data-key.entity';
import { StoredDataKey } from './stored-data-key.entity';

/**
 * Users' content at rest: per-user data keys (wrapped under the server key) and the ciphers that
 * use them (field-cipher.ts, file-encryptor.ts, file-decryptor.ts, plain functions and streams).
 */
@Module({
  imports: [TypeOrmModule.forFeature([StoredDataKey, DestroyedDataKeyTombstone]), SecretsModule],
  providers: [DataKeyRepository, DataKeys, DataKeyRotation],
  exports: [DataKeys, DataKeyRotation],
})
export class ContentEncryptionModule {}
