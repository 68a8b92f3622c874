import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/paging.dto';
import { mustBe } from '../../common/validation/validation-messages';

export class UserListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['active', 'inactive'] })
  @IsOptional()
  @IsIn(['active', 'inactive'], { message: 'status must be active or inactive.' })
  status?: 'active' | 'inactive';

  @ApiPropertyOptional({
    description: 'userName prefix, compared as userNames are: without regard to case, invisible characters or surrounding spaces',
  })
  @IsOptional()
  @IsString(mustBe('a userName prefix'))
  @MaxLength(255, { message: 'userName is too long: send at most 255 characters.' })
  userName?: string;
}
