import type { PurgeQueryService } from '../../retention/purge-query.service';
import type { UserRole } from '../user.entity';
import type { UserRecord } from '../users.repository';

export type UserResponseDto = {
  id: string;
  userName: string;
  email: string | null;
  givenName: string | null;
  familyName: string | null;
  externalId: string | null;
  active: boolean;
  role: UserRole;
  createdAt: string;
  updatedAt: string;
};

/** Retention's view of the user's latest purge, as its public service gives it. */
export type LatestPurgeView = Awaited<ReturnType<PurgeQueryService['latestForUser']>>;

export type UserDetailResponseDto = UserResponseDto & { latestPurge: LatestPurgeView };

export function toUserResponse(user: UserRecord): UserResponseDto {
  return {
    id: user.id,
    userName: user.userName,
    email: user.email,
    givenName: user.givenName,
    familyName: user.familyName,
    externalId: user.externalId,
    active: user.active,
    role: user.role,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}
