import { User, UserRole } from '../user.entity';

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

export function toUserResponse(user: User): UserResponseDto {
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
