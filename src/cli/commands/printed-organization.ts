import { toOrganizationResponse } from '../../organizations/dto/organization-response.dto';
import { OrganizationWithAdministrator } from '../../organizations/organizations.service';
import { toUserResponse } from '../../users/dto/user-response.dto';

/** What bootstrap and grant-admin print: the secret appears here once and is stored only encrypted. */
export function toPrintedOrganization({ organization, admin, apiKey }: OrganizationWithAdministrator): object {
  return {
    organization: toOrganizationResponse(organization),
    admin: toUserResponse(admin),
    apiKey: { id: apiKey.apiKey.id, key: apiKey.apiKey.key, secret: apiKey.secret },
  };
}
