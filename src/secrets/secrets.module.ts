import { Module } from '@nestjs/common';
import { CredentialCrypto } from './credential-crypto';

@Module({
  providers: [CredentialCrypto],
  exports: [CredentialCrypto],
})
export class SecretsModule {}
