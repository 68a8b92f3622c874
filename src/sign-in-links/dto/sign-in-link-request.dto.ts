import { Transform } from 'class-transformer';
import { IsDefined, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { required } from '../../common/validation/validation-messages';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class SignInLinkRequestDto {
  @Transform(trim)
  @IsDefined(required("the organization's hostname"))
  @IsString()
  @IsNotEmpty({ message: 'hostname must not be empty' })
  @MaxLength(255)
  hostname!: string;

  @Transform(trim)
  @IsDefined(required("the administrator's email address (userName)"))
  @IsString()
  @IsNotEmpty({ message: 'email must not be empty' })
  @MaxLength(255)
  email!: string;
}
