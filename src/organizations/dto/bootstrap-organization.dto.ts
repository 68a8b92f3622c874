import { Transform } from 'class-transformer';
import { IsDefined, IsEmail, IsFQDN, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { required } from '../../common/validation/validation-messages';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);
const lowerTrim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class BootstrapOrganizationDto {
  @Transform(trim)
  @IsDefined(required("the organization's display name (1 to 255 characters)"))
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  orgName!: string;

  @Transform(lowerTrim)
  @IsDefined(required('the DNS name an Okta admin enters as Hostname, such as files.example.com'))
  @IsString()
  @MaxLength(255)
  @ValidateIf((dto: BootstrapOrganizationDto) => dto.hostname !== 'localhost')
  @IsFQDN({ require_tld: false, allow_underscores: false }, { message: 'hostname must be a DNS name such as files.example.com' })
  hostname!: string;

  @Transform(trim)
  @IsDefined(required("the first administrator's email address (also their userName)"))
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
