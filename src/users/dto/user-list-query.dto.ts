import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/paging.dto';

export class UserListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['active', 'inactive'] })
  @IsOptional()
  @IsIn(['active', 'inactive'])
  status?: 'active' | 'inactive';

  @ApiPropertyOptional({ description: 'userName prefix, compared as userNames are: without regard to case, invisible characters or surrounding spaces' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  userName?: string;
}
