import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { mustBe } from '../../common/validation/validation-messages';
import { ApiKeyListing, IssuedApiKey, IssuedScimCredential } from '../api-keys.service';

export class CreateApiKeyDto {
  @ApiPropertyOptional({ maxLength: 255, example: 'Okta provisioning' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsOptional()
  @IsString(mustBe('a string of at most 255 characters (or left out)'))
  @MaxLength(255, { message: 'description is too long: send at most 255 characters.' })
  description?: string;
}

export class CreatedApiKeyResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'Public key id, sent as the ss-api-key header' }) key!: string;
  @ApiProperty({ description: 'Signing secret. Shown only in this response.' }) secret!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty() createdAt!: string;
}

export class ApiKeyResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() key!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ description: 'Owner (an administrator) as id and userName' }) owner!: { id: string; userName: string | null };
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) lastUsedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) revokedAt!: string | null;
  @ApiProperty() scimCredentialActive!: boolean;
}

export class ScimCredentialResponseDto {
  @ApiProperty({ description: 'SCIM API username for the identity provider' }) username!: string;
  @ApiProperty({ description: 'SCIM API password. Shown only in this response.' }) password!: string;
  @ApiProperty({ example: 'https://files.example.com/scim/v2' }) scimBaseUrl!: string;
}

export function toCreatedApiKeyResponse({ apiKey, secret }: IssuedApiKey): CreatedApiKeyResponseDto {
  return { id: apiKey.id, key: apiKey.key, secret, description: apiKey.description, createdAt: apiKey.createdAt.toISOString() };
}

export function toApiKeyResponse(apiKey: ApiKeyListing): ApiKeyResponseDto {
  return {
    id: apiKey.id,
    key: apiKey.key,
    description: apiKey.description,
    owner: { id: apiKey.ownerUserId, userName: apiKey.ownerUserName },
    createdAt: apiKey.createdAt.toISOString(),
    lastUsedAt: apiKey.lastUsedAt?.toISOString() ?? null,
    revokedAt: apiKey.revokedAt?.toISOString() ?? null,
    scimCredentialActive: apiKey.scimCredentialActive,
  };
}

export function toScimCredentialResponse(issued: IssuedScimCredential): ScimCredentialResponseDto {
  return { ...issued };
}
