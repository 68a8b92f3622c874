import { INestApplicationContext } from '@nestjs/common';
import { GrantAdministratorDto } from '../../organizations/dto/grant-administrator.dto';
import { OrganizationsService } from '../../organizations/organizations.service';
import { validateInput } from '../validate-input';
import { toPrintedOrganization } from './printed-organization';

export const GRANT_ADMIN_OPTIONS = {
  hostname: { type: 'string' },
  email: { type: 'string' },
  'given-name': { type: 'string' },
  'family-name': { type: 'string' },
} as const;

export function parseGrantAdminInput(args: Partial<Record<keyof typeof GRANT_ADMIN_OPTIONS, string>>): GrantAdministratorDto {
  return validateInput(GrantAdministratorDto, {
    hostname: args.hostname,
    email: args.email,
    givenName: args['given-name'],
    familyName: args['family-name'],
  });
}

export async function runGrantAdmin(app: INestApplicationContext, input: GrantAdministratorDto): Promise<object> {
  return toPrintedOrganization(await app.get(OrganizationsService).grantAdministrator(input));
}
