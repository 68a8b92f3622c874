import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One admin request nonce, kept until its request's timestamp has left the signature window. */
@Entity({ name: 'request_nonces' })
@Index('IDX_request_nonces_expires_at', ['expiresAt'])
export class RequestNonce {
  @PrimaryColumn({ name: 'api_key_id', type: 'varchar', length: 36 })
  apiKeyId!: string;

  /** Lowercase hex SHA-256 of the nonce: fixed width, whatever the client chose. */
  @PrimaryColumn({ name: 'nonce_hash', type: 'varchar', length: 64 })
  nonceHash!: string;

  @Column({ name: 'expires_at', type: 'datetime' })
  expiresAt!: Date;
}
