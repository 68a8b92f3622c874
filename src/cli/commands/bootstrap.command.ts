import { INestApplicationContext } from '@nestjs/common';
import { DomainError, DomainErrorCode } from '../../common/domain-error';
import { BootstrapOrganizationDto } from '../../organizations/dto/bootstrap-organization.dto';
import { toOrganizationResponse } from '../../organizations/dto/organization-response.dto';
import { OrganizationsService } from '../../organizations/organizations.service';
import { toUserResponse } from '../../users/dto/user-response.dto';
import { CliError } from '../cli-error';
import { validateInput } from '../validate-input';

export const BOOTSTRAP_OPTIONS = {
  'org-name': { type: 'string' },
  hostname: { type: 'string' },
  'admin-email': { type: 'string' },
  'admin-given-name': { type: 'string' },
  'admin-family-name': { type: 'string' },
} as const;

export type BootstrapArguments = Partial<Record<keyof typeof BOOTSTRAP_OPTIONS, string>>;

export function parseBootstrapInput(args: BootstrapArguments): BootstrapOrganizationDto {
  return validateInput(BootstrapOrganizationDto, {
    orgName: args['org-name'],
    hostname: args.hostname,
    adminEmail: args['admin-email'],
    adminGivenName: args['admin-given-name'],
    adminFamilyName: args['admin-family-name'],
  });
}

export async function runBootstrap(app: INestApplicationContext, input: BootstrapOrganizationDto): Promise<object> {
  try {
    const { organization, admin } = await app.get(OrganizationsService).bootstrap(input);
    return { organization: toOrganizationResponse(organization), admin: toUserResponse(admin) };
  } catch (error) {
    if (error instanceof DomainError && error.code === DomainErrorCode.HostnameTaken) {
      throw new CliError(`${error.message} Nothing was written.`);
    }
    throw error;
  }
}
