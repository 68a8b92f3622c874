import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminAuth } from '../auth/auth-kind.decorator';
import { AdminPrincipal, CurrentAdmin } from '../auth/principal';
import { OrganizationOverviewDto, toOrganizationOverview } from './dto/organization-response.dto';
import { OrganizationsService } from './organizations.service';

@ApiTags('organization')
@AdminAuth()
@Controller('admin/v1/organization')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Get()
  @ApiOperation({ summary: "The calling administrator's organization: name, hostname, SCIM base URL and user counts" })
  async get(@CurrentAdmin() admin: AdminPrincipal): Promise<OrganizationOverviewDto> {
    return toOrganizationOverview(await this.organizations.overview(admin.organizationId));
  }
}
