import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { mustBe, required } from '../../common/validation/validation-messages';
import type { PurgeResponseDto } from '../../retention/dto/purge.dto';
import { toPurgeResponse } from '../../retention/dto/purge.dto';
import type { LegalHoldOutcome } from '../../retention/safeguards/legal-holds.service';

export class PlaceLegalHoldDto {
  @ApiProperty({ maxLength: 500, example: 'Litigation hold, matter 2026-014' })
  @IsDefined(required('why the user is held (1 to 500 characters)'))
  @IsString(mustBe('a string'))
  @IsNotEmpty({ message: 'reason must not be empty.' })
  @MaxLength(500, { message: 'reason must be at most 500 characters.' })
  reason!: string;
}

export type LegalHoldResponseDto = {
  userId: string;
  /** Null when the user is not under legal hold. */
  hold: { reason: string; placedBy: string; placedAt: string } | null;
  /** The user's latest purge, if any: held (reason legal_hold) while the hold lasts. */
  latestPurge: PurgeResponseDto | null;
};

export function toLegalHoldResponse(userId: string, outcome: LegalHoldOutcome): LegalHoldResponseDto {
  return {
    userId,
    hold: outcome.hold
      ? { reason: outcome.hold.reason, placedBy: outcome.hold.placedBy, placedAt: outcome.hold.placedAt.toISOString() }
      : null,
    latestPurge: outcome.purge ? toPurgeResponse(outcome.purge, []) : null,
  };
}
