import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { RedisConnection } from '../redis/redis-connection';
import { AssertionIdsRepository } from './assertion-ids.repository';
import { SsoFailure } from './sso-failure';

/**
 * Lets each assertion id in once per organization until the assertion could no longer be
 * accepted anyway, in every process: Redis `SET NX` with that expiry when REDIS_URL is set, else
 * the saml_assertion_ids table (its primary key), swept by SsoHousekeeping.
 */
@Injectable()
export class AssertionReplayCache {
  private readonly logger = new Logger(AssertionReplayCache.name);

  constructor(
    private readonly redis: RedisConnection,
    private readonly repository: AssertionIdsRepository,
  ) {}

  /** True the first time; false for a replay. Fails closed (503 page) while Redis is unreachable. */
  async firstUse(organizationId: string, assertionId: string, until: Date, now = Date.now()): Promise<boolean> {
    // Hashed: ids are attacker-chosen text of any length, never stored or used as keys as they are.
    const idHash = createHash('sha256').update(assertionId, 'utf8').digest('hex');
    const { client } = this.redis;
    if (!client) {
      return this.repository.insertIfAbsent(organizationId, idHash, until);
    }
    try {
      const stored = await client.set(`sso-assertion:${organizationId}:${idHash}`, '1', 'PX', Math.max(1, until.getTime() - now), 'NX');
      return stored === 'OK';
    } catch (error) {
      this.logger.error(`assertion replay cache unavailable: ${String(error)}`);
      throw new SsoFailure('replay_check_unavailable');
    }
  }
}
