import type { UserRecord } from '../users/users.repository';
import { etagOf } from './scim-request';

export const SCIM_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export type ScimUserResource = {
  schemas: string[];
  id: string;
  externalId?: string;
  userName: string;
  name?: { givenName?: string; familyName?: string; formatted?: string };
  displayName?: string;
  emails?: { value: string; type: 'work'; primary: true }[];
  active: boolean;
  meta: { resourceType: 'User'; created: string; lastModified: string; location: string; version: string };
};

/** Unassigned attributes (no name part, no email) are left out rather than sent empty (RFC 7643 §2.5). */
export function toScimUser(user: UserRecord, scimBaseUrl: string): ScimUserResource {
  const formatted = [user.givenName, user.familyName].filter((part) => part).join(' ');
  return {
    schemas: [SCIM_USER_SCHEMA],
    id: user.id,
    ...(user.externalId ? { externalId: user.externalId } : {}),
    userName: user.userName,
    ...(formatted
      ? {
          name: {
            ...(user.givenName ? { givenName: user.givenName } : {}),
            ...(user.familyName ? { familyName: user.familyName } : {}),
            formatted,
          },
          displayName: formatted,
        }
      : {}),
    ...(user.email ? { emails: [{ value: user.email, type: 'work' as const, primary: true as const }] } : {}),
    active: user.active,
    meta: {
      resourceType: 'User',
      created: user.createdAt.toISOString(),
      lastModified: user.updatedAt.toISOString(),
      location: `${scimBaseUrl}/Users/${user.id}`,
      version: etagOf(user.version),
    },
  };
}
