import { EntityManager, IsNull } from 'typeorm';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { User } from '../users/user.entity';

/**
 * Reads the user whose history is being written, inside the writing transaction. On MySQL the
 * read takes a shared lock on the user row, so a concurrent deactivation (which updates that row,
 * then records the purge's cutoffs) either sees this item or makes this write refuse: an item
 * can never slip in beside a purge that misses it. SQLite serializes writers, so no lock is needed.
 */
export async function lockWritableOwner(manager: EntityManager, organizationId: string, userId: string): Promise<User> {
  const query = manager
    .getRepository(User)
    .createQueryBuilder('owner')
    .where({ id: userId, organizationId, deletedAt: IsNull() });
  if (manager.connection.options.type !== 'better-sqlite3') {
    query.setLock('pessimistic_read');
  }
  const user = await query.getOne();
  if (!user) {
    throw notFound('User');
  }
  if (!user.active) {
    throw new DomainError(DomainErrorCode.UserInactive, 'This user is deactivated; their history cannot grow.');
  }
  return user;
}
