import { CreateOrganizationsAndUsers1764324000000 } from './1764324000000-create-organizations-and-users';
import { CreateCredentialsAndAudit1764324100000 } from './1764324100000-create-credentials-and-audit';
import { CreateHistoryAndPurges1764324200000 } from './1764324200000-create-history-and-purges';
import { AddUsersDeletedAt1764324250000 } from './1764324250000-add-users-deleted-at';
import { PurgeTimingsWithMicroseconds1764324300000 } from './1764324300000-purge-timings-with-microseconds';
import { CreateRequestNonces1764324400000 } from './1764324400000-create-request-nonces';
import { RevokeKeysOfNonAdministrators1764324410000 } from './1764324410000-revoke-keys-of-non-administrators';
import { PurgesMergedInto1764324600000 } from './1764324600000-purges-merged-into';
import { UserNameComparedByteForByte1764324820000 } from './1764324820000-user-name-compared-byte-for-byte';
import { FoldedProfileColumns1764324830000 } from './1764324830000-folded-profile-columns';
import { CreateDataKeys1764324900000 } from './1764324900000-create-data-keys';
import { CreateSsoAndSessions1764325000000 } from './1764325000000-create-sso-and-sessions';
import { CreateSignInLinks1764325100000 } from './1764325100000-create-sign-in-links';
import { SealedHistoryContent1764325200000 } from './1764325200000-sealed-history-content';
import { PurgesDataKeyDestruction1764325300000 } from './1764325300000-purges-data-key-destruction';
import { PurgeSafeguards1764411600000 } from './1764411600000-purge-safeguards';
import { DropFilesStorageKeyIndex1764412600000 } from './1764412600000-drop-files-storage-key-index';

/** Listed explicitly so the same array works from TypeScript (tests) and from dist (CLI). */
export const migrations = [
  CreateOrganizationsAndUsers1764324000000,
  CreateCredentialsAndAudit1764324100000,
  CreateHistoryAndPurges1764324200000,
  AddUsersDeletedAt1764324250000,
  PurgeTimingsWithMicroseconds1764324300000,
  CreateRequestNonces1764324400000,
  RevokeKeysOfNonAdministrators1764324410000,
  PurgesMergedInto1764324600000,
  UserNameComparedByteForByte1764324820000,
  FoldedProfileColumns1764324830000,
  CreateDataKeys1764324900000,
  CreateSsoAndSessions1764325000000,
  CreateSignInLinks1764325100000,
  SealedHistoryContent1764325200000,
  PurgesDataKeyDestruction1764325300000,
  PurgeSafeguards1764411600000,
  DropFilesStorageKeyIndex1764412600000,
];
