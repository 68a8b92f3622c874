import { INestApplicationContext } from '@nestjs/common';
import { BootstrapOrganizationDto } from '../../organizations/dto/bootstrap-organization.dto';
import { OrganizationsService } from '../../organizations/organizations.service';
import { validateInput } from '../validate-input';
import { toPrintedOrganization } from './printed-organization';

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
  return toPrintedOrganization(await app.get(OrganizationsService).bootstrap(input));
}
