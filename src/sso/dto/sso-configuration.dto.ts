import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';
import { mustBe } from '../../common/validation/validation-messages';
import { SsoConfigurationView } from '../sso-configuration.service';

export class ConfigureSsoDto {
  @ApiPropertyOptional({ description: "The identity provider's SAML metadata XML (instead of the three idp fields)", maxLength: 262144 })
  @IsOptional()
  @IsString(mustBe('the metadata XML as a string'))
  @MaxLength(262144, { message: 'idpMetadataXml is too long: send at most 256 KiB of metadata.' })
  idpMetadataXml?: string;

  @ApiPropertyOptional({ description: "The identity provider's entity id (Okta: Identity Provider Issuer)", maxLength: 1024 })
  @IsOptional()
  @IsString(mustBe('a string'))
  @MaxLength(1024, { message: 'idpEntityId is too long: send at most 1024 characters.' })
  idpEntityId?: string;

  @ApiPropertyOptional({ description: "The identity provider's single sign-on URL (HTTP-Redirect binding); https", maxLength: 2048 })
  @IsOptional()
  @IsString(mustBe('a URL string'))
  @MaxLength(2048, { message: 'idpSsoUrl is too long: send at most 2048 characters.' })
  idpSsoUrl?: string;

  @ApiPropertyOptional({ description: "The identity provider's signing certificate, PEM (RSA, 2048 bits or more)", maxLength: 16384 })
  @IsOptional()
  @IsString(mustBe('a PEM certificate string'))
  @MaxLength(16384, { message: 'idpCertificate is too long: send one PEM certificate.' })
  idpCertificate?: string;

  @ApiPropertyOptional({
    description: 'Accept sign-ins started at the identity provider (e.g. the Okta dashboard tile); default true',
    default: true,
  })
  @IsOptional()
  @IsBoolean(mustBe('true or false'))
  allowIdpInitiated?: boolean;
}

export class SsoServiceProviderDto {
  @ApiProperty({ description: 'Audience URI (SP Entity ID) to enter at the identity provider' }) entityId!: string;
  @ApiProperty({ description: 'Single sign-on URL / Assertion Consumer Service URL (HTTP-POST)' }) acsUrl!: string;
  @ApiProperty({ description: 'This service provider’s SAML metadata' }) metadataUrl!: string;
  @ApiProperty({ description: 'Where sign-in starts (SP-initiated); accepts ?returnTo=/path' }) loginUrl!: string;
  @ApiProperty({ description: 'Certificate (PEM) that verifies the signed AuthnRequests' }) signingCertificate!: string;
}

export class SsoConfigurationResponseDto {
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ nullable: true, type: String }) idpEntityId!: string | null;
  @ApiProperty({ nullable: true, type: String }) idpSsoUrl!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'SHA-256, colon-separated hex' }) idpCertificateFingerprint!: string | null;
  @ApiProperty({ nullable: true, type: String }) idpCertificateNotAfter!: string | null;
  @ApiProperty() allowIdpInitiated!: boolean;
  @ApiProperty({ type: SsoServiceProviderDto }) sp!: SsoServiceProviderDto;
  @ApiProperty({ type: [String], description: 'e.g. the identity provider certificate expires within 30 days' }) warnings!: string[];
}

export function toSsoConfigurationResponse(view: SsoConfigurationView, warnings: string[]): SsoConfigurationResponseDto {
  return {
    enabled: view.enabled,
    idpEntityId: view.idp?.entityId ?? null,
    idpSsoUrl: view.idp?.ssoUrl ?? null,
    idpCertificateFingerprint: view.idp?.certificate.fingerprint ?? null,
    idpCertificateNotAfter: view.idp?.certificate.notAfter.toISOString() ?? null,
    allowIdpInitiated: view.allowIdpInitiated,
    sp: {
      entityId: view.sp.entityId,
      acsUrl: view.sp.acsUrl,
      metadataUrl: view.sp.metadataUrl,
      loginUrl: view.sp.loginUrl,
      signingCertificate: view.sp.certificatePem,
    },
    warnings,
  };
}
