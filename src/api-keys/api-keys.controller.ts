import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminAuth } from '../auth/auth-kind.decorator';
import { AdminPrincipal, CurrentAdmin } from '../auth/principal';
import { CurrentRequest, RequestContext } from '../common/request-context';
import { Actor, ApiKeysService } from './api-keys.service';
import {
  ApiKeyResponseDto,
  CreateApiKeyDto,
  CreatedApiKeyResponseDto,
  ScimCredentialResponseDto,
  toApiKeyResponse,
  toCreatedApiKeyResponse,
  toScimCredentialResponse,
} from './dto/api-key.dto';

@ApiTags('api-keys')
@AdminAuth()
@Controller('admin/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key owned by the calling administrator; the secret is shown only here' })
  @ApiCreatedResponse({ type: CreatedApiKeyResponseDto })
  async create(
    @CurrentAdmin() admin: AdminPrincipal,
    @Body() body: CreateApiKeyDto,
    @CurrentRequest() context: RequestContext,
  ): Promise<CreatedApiKeyResponseDto> {
    return toCreatedApiKeyResponse(await this.apiKeys.create(actorOf(admin), body.description ?? null, context));
  }

  @Get()
  @ApiOperation({ summary: "The organization's API keys, newest first (no secrets)" })
  @ApiOkResponse({ type: [ApiKeyResponseDto] })
  async list(@CurrentAdmin() admin: AdminPrincipal): Promise<{ items: ApiKeyResponseDto[] }> {
    return { items: (await this.apiKeys.list(admin.organizationId)).map(toApiKeyResponse) };
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke an API key and its SCIM credential, effective immediately' })
  @ApiOkResponse({ type: ApiKeyResponseDto })
  async revoke(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id') id: string,
    @CurrentRequest() context: RequestContext,
  ): Promise<ApiKeyResponseDto> {
    await this.apiKeys.revoke(actorOf(admin), id, context);
    const listed = (await this.apiKeys.list(admin.organizationId)).find((key) => key.id === id);
    return toApiKeyResponse(listed!);
  }

  @Post(':id/scim-credentials')
  @ApiOperation({ summary: "Issue the key's SCIM username and password (replacing any earlier one); the password is shown only here" })
  @ApiCreatedResponse({ type: ScimCredentialResponseDto })
  async issueScimCredential(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id') id: string,
    @CurrentRequest() context: RequestContext,
  ): Promise<ScimCredentialResponseDto> {
    return toScimCredentialResponse(await this.apiKeys.issueScimCredential(actorOf(admin), id, context));
  }

  @Delete(':id/scim-credentials')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke the key's SCIM credential" })
  async revokeScimCredential(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id') id: string,
    @CurrentRequest() context: RequestContext,
  ): Promise<void> {
    await this.apiKeys.revokeScimCredential(actorOf(admin), id, context);
  }
}

function actorOf(admin: AdminPrincipal): Actor {
  return { organizationId: admin.organizationId, userId: admin.userId, apiKeyId: admin.apiKeyId };
}
