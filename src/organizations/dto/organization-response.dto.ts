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

/** Something an administrator must act on. */
export type OrganizationWarningDto = { code: 'purges_held_mass_deactivation'; count: number; message: string };

export type OrganizationOverviewDto = OrganizationResponseDto & {
  scimBaseUrl: string;
  users: { total: number; active: number; inactive: number; administrators: number };
  /** Empty when nothing needs attention. */
  warnings: OrganizationWarningDto[];
};

export function toOrganizationOverview(overview: {
  organization: OrganizationRecord;
  scimBaseUrl: string;
  users: OrganizationOverviewDto['users'];
  heldByBreaker: number;
}): OrganizationOverviewDto {
  const warnings: OrganizationWarningDto[] =
    overview.heldByBreaker > 0
      ? [
          {
            code: 'purges_held_mass_deactivation',
            count: overview.heldByBreaker,
            message:
              `${overview.heldByBreaker} purge(s) held by the mass-deactivation breaker: review GET /admin/v1/purges?state=held, then ` +
              'release them (POST /admin/v1/purges/release) or reactivate the users deactivated by mistake.',
          },
        ]
      : [];
  return { ...toOrganizationResponse(overview.organization), scimBaseUrl: overview.scimBaseUrl, users: overview.users, warnings };
}
