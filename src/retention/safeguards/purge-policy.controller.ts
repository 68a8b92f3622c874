import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminAuth } from '../../auth/auth-kind.decorator';
import { AdminPrincipal, CurrentAdmin } from '../../auth/principal';
import { CurrentRequest, RequestContext } from '../../common/request-context';
import { PurgePolicyDto, toPolicyResponse } from '../dto/purge-policy.dto';
import { PurgePolicyService } from './purge-policy.service';

@ApiTags('organization')
@AdminAuth()
@Controller('admin/v1/organization/purge-policy')
export class PurgePolicyController {
  constructor(private readonly policies: PurgePolicyService) {}

  @Get()
  @ApiOperation({ summary: "The organization's purge policy: grace period and mass-deactivation breaker (defaults when never set)" })
  @ApiOkResponse({ type: PurgePolicyDto })
  async get(@CurrentAdmin() admin: AdminPrincipal): Promise<PurgePolicyDto> {
    return toPolicyResponse(await this.policies.get(admin.organizationId));
  }

  @Put()
  @ApiOperation({ summary: 'Replace the purge policy (every field required; 400 and nothing written on any bad value); audited' })
  @ApiOkResponse({ type: PurgePolicyDto })
  async put(
    @CurrentAdmin() admin: AdminPrincipal,
    @Body() body: PurgePolicyDto,
    @CurrentRequest() context: RequestContext,
  ): Promise<PurgePolicyDto> {
    return toPolicyResponse(await this.policies.replace(admin, body, context));
  }
}
