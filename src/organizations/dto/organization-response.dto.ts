import { Organization } from '../organization.entity';

export type OrganizationResponseDto = {
  id: string;
  name: string;
  hostname: string;
  createdAt: string;
};

export function toOrganizationResponse(organization: Organization): OrganizationResponseDto {
  return {
    id: organization.id,
    name: organization.name,
    hostname: organization.hostname,
    createdAt: organization.createdAt.toISOString(),
  };
}
