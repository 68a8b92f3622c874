import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class GrantAdministratorDto {
  @Transform(trim)
  @IsString()
  @IsNotEmpty({ message: 'hostname is required' })
  @MaxLength(255)
  hostname!: string;

  @Transform(trim)
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
