import { OrganizationRecord } from '../organizations.repository';

export type OrganizationResponseDto = {
  id: string;
  name: string;
  hostname: string;
  createdAt: string;
};

export function toOrganizationResponse(organization: OrganizationRecord): OrganizationResponseDto {
  return {
    id: organization.id,
    name: organization.name,
    hostname: organization.hostname,
    createdAt: organization.createdAt.toISOString(),
  };
}

export type OrganizationOverviewDto = OrganizationResponseDto & {
  scimBaseUrl: string;
  users: { total: number; active: number; inactive: number; administrators: number };
};

export function toOrganizationOverview(overview: {
  organization: OrganizationRecord;
  scimBaseUrl: string;
  users: OrganizationOverviewDto['users'];
}): OrganizationOverviewDto {
  return { ...toOrganizationResponse(overview.organization), scimBaseUrl: overview.scimBaseUrl, users: overview.users };
}
