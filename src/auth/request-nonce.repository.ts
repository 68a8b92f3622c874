import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, LessThan, Repository } from 'typeorm';
import { serializedStatement } from '../database/serialized-transaction';
import { isUniqueViolation } from '../database/unique-violation';
import { RequestNonce } from './request-nonce.entity';

/** The request_nonces table: used only when there is no Redis. */
@Injectable()
export class RequestNonceRepository {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(RequestNonce) private readonly nonces: Repository<RequestNonce>,
  ) {}

  /** False when the (key, nonce) row is already there: the primary key decides, atomically. */
  async insertIfAbsent(nonce: RequestNonce): Promise<boolean> {
    try {
      await serializedStatement(this.dataSource, () => this.nonces.insert(nonce));
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) {
        return false;
      }
      throw error;
    }
  }

  /** Deletes at most `limit` rows that expired before `now`; returns how many it deleted. */
  async deleteExpired(now: Date, limit: number): Promise<number> {
    const expired = await this.nonces.find({
      select: { apiKeyId: true, nonceHash: true },
      where: { expiresAt: LessThan(now) },
      order: { expiresAt: 'ASC' },
      take: limit,
    });
    if (expired.length === 0) {
      return 0;
    }
    const result = await serializedStatement(this.dataSource, () =>
      this.nonces.delete(expired.map(({ apiKeyId, nonceHash }) => ({ apiKeyId, nonceHash, expiresAt: LessThan(now) }))),
    );
    return result.affected ?? expired.length;
  }
}
