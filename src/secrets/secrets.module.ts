import { Module } from '@nestjs/common';
import { CredentialCrypto } from './credential-crypto';
import { ServerKeyRing } from './server-key-ring';

@Module({
  providers: [ServerKeyRing, CredentialCrypto],
  exports: [ServerKeyRing, CredentialCrypto],
})
export class SecretsModule {}
