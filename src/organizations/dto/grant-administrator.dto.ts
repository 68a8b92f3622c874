import { Transform } from 'class-transformer';
import { IsDefined, IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { required } from '../../common/validation/validation-messages';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class GrantAdministratorDto {
  @Transform(trim)
  @IsDefined(required("the organization's hostname"))
  @IsString()
  @IsNotEmpty({ message: 'hostname must not be empty' })
  @MaxLength(255)
  hostname!: string;

  @Transform(trim)
  @IsDefined(required('the email address (userName) of the user to make an administrator'))
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(255)
  email!: string;

  @Transform(trim)
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  givenName?: string;

  @Transform(trim)
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  familyName?: string;
}
