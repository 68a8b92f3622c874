import { Transform } from 'class-transformer';
import { IsInt } from 'class-validator';

/** RFC 7644 §3.4.2.4: startIndex < 1 is read as 1, count < 0 as 0; both may be absent. */
export const MAX_PAGE_SIZE = 200;

const toInteger = (fallback: number, min: number, max: number) =>
  ({ value }: { value: unknown }): number => {
    const parsed = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : fallback;
    return Math.min(max, Math.max(min, parsed));
  };

export class ScimListQueryDto {
  @Transform(toInteger(1, 1, Number.MAX_SAFE_INTEGER))
  @IsInt()
  startIndex: number = 1;

  @Transform(toInteger(100, 0, MAX_PAGE_SIZE))
  @IsInt()
  count: number = 100;
}
