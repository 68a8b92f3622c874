import { Body, Controller, Delete, Get, HttpCode, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditService } from '../audit/audit.service';
import { AdminAuth } from '../auth/auth-kind.decorator';
import { AdminPrincipal, CurrentAdmin } from '../auth/principal';
import { CurrentRequest, RequestContext } from '../common/request-context';
import { ConfigureSsoDto, SsoConfigurationResponseDto, toSsoConfigurationResponse } from './dto/sso-configuration.dto';
import { expiryWarnings } from './idp-settings';
import { SsoConfigurationService } from './sso-configuration.service';

@ApiTags('single sign-on')
@AdminAuth()
@Controller('admin/v1/organization/sso')
export class SsoAdminController {
  constructor(
    private readonly configurations: SsoConfigurationService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      "The organization's SAML single sign-on: the identity provider it trusts, and the URLs to give that identity provider (filled in before configuration)",
  })
  async get(@CurrentAdmin() admin: AdminPrincipal): Promise<SsoConfigurationResponseDto> {
    const view = await this.configurations.view(await this.configurations.organization(admin.organizationId));
    return toSsoConfigurationResponse(view, view.idp ? expiryWarnings(view.idp.certificate) : []);
  }

  @Put()
  @ApiOperation({
    summary:
      'Configures (or replaces) the identity provider: its metadata XML, or idpEntityId, idpSsoUrl and idpCertificate; enables single sign-on. Every problem is listed in one 400.',
  })
  async configure(
    @CurrentAdmin() admin: AdminPrincipal,
    @Body() body: ConfigureSsoDto,
    @CurrentRequest() context: RequestContext,
  ): Promise<SsoConfigurationResponseDto> {
    const organization = await this.configurations.organization(admin.organizationId);
    const { view, warnings } = await this.configurations.configure(organization, body);
    await this.audit.record(
      {
        organizationId: organization.id,
        type: 'sso.configured',
        actorUserId: admin.userId,
        actorApiKeyId: admin.apiKeyId,
        targetType: 'organization',
        targetId: organization.id,
        detail: 'enabled',
      },
      context,
    );
    return toSsoConfigurationResponse(view, warnings);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Disables single sign-on: every session of the organization ends at once' })
  async disable(@CurrentAdmin() admin: AdminPrincipal, @CurrentRequest() context: RequestContext): Promise<void> {
    const organization = await this.configurations.organization(admin.organizationId);
    const ended = await this.configurations.disable(organization);
    const actor = { actorUserId: admin.userId, actorApiKeyId: admin.apiKeyId };
    await this.audit.record(
      {
        organizationId: organization.id,
        type: 'sso.configured',
        ...actor,
        targetType: 'organization',
        targetId: organization.id,
        detail: 'disabled',
      },
      context,
    );
    if (ended > 0) {
      await this.audit.record(
        {
          organizationId: organization.id,
          type: 'session.revoked',
          ...actor,
          targetType: 'organization',
          targetId: organization.id,
          detail: `sso_disabled:${ended}`,
        },
        context,
      );
    }
  }
}
