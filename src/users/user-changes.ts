/** A new user as an identity provider describes it. */
export type NewUser = {
  userName: string;
  givenName: string | null;
  familyName: string | null;
  email: string | null;
  externalId: string | null;
  active: boolean;
};

/**
 * What a client asked to change. Undefined means "leave as is". Only names (and the active
 * state) can change after creation; userName may be sent but must not really differ, and
 * externalId may be set once, while the user has none (RFC 7643 `immutable`); null asks to
 * remove it.
 */
export type UserChanges = {
  userName?: string;
  givenName?: string | null;
  familyName?: string | null;
  externalId?: string | null;
  active?: boolean;
};
