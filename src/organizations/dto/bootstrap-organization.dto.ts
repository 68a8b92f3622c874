import { Transform } from 'class-transformer';
import { IsEmail, IsFQDN, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);
const lowerTrim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class BootstrapOrganizationDto {
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  orgName!: string;

  @Transform(lowerTrim)
  @IsString()
  @MaxLength(255)
  @ValidateIf((dto: BootstrapOrganizationDto) => dto.hostname !== 'localhost')
  @IsFQDN({ require_tld: false, allow_underscores: false }, { message: 'hostname must be a DNS name such as files.example.com' })
  hostname!: string;

  @Transform(trim)
  @IsEmail({}, { message: 'adminEmail must be an email address' })
  @MaxLength(255)
  adminEmail!: string;

  @Transform(trim)
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  adminGivenName?: string;

  @Transform(trim)
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  adminFamilyName?: string;
}
