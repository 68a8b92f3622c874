import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

const LIMIT = 'limit must be a whole number from 1 to 200.';
const OFFSET = 'offset must be a whole number from 0 to 1000000.';

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: LIMIT })
  @Min(1, { message: LIMIT })
  @Max(200, { message: LIMIT })
  limit: number = 50;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: OFFSET })
  @Min(0, { message: OFFSET })
  @Max(1_000_000, { message: OFFSET })
  offset: number = 0;
}

export type Page<T> = { items: T[]; total: number; limit: number; offset: number };
