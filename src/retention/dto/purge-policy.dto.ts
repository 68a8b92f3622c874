import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsIn, IsObject, ValidateNested } from 'class-validator';
import { IsIntegerBetween } from '../../common/is-integer-between';
import { mustBe, required } from '../../common/validation/validation-messages';
import { HOLD_REASONS, HoldReason } from '../purge.entity';
import { MAX_BREAKER_THRESHOLD, MAX_BREAKER_WINDOW_SECONDS, MAX_GRACE_SECONDS, PurgePolicy } from '../safeguards/purge-policy';

export class MassDeactivationPolicyDto {
  @ApiProperty({ description: 'Whether the mass-deactivation breaker holds purges', default: true })
  @IsDefined(required('true or false'))
  @IsBoolean(mustBe('true or false'))
  enabled!: boolean;

  @ApiProperty({
    minimum: 1,
    maximum: MAX_BREAKER_THRESHOLD,
    default: 25,
    description: 'Purges beyond this many within the window are held',
  })
  @IsDefined(required(`an integer from 1 to ${MAX_BREAKER_THRESHOLD}`))
  @IsIntegerBetween(1, MAX_BREAKER_THRESHOLD)
  threshold!: number;

  @ApiProperty({ minimum: 1, maximum: MAX_BREAKER_WINDOW_SECONDS, default: 600 })
  @IsDefined(required(`an integer from 1 to ${MAX_BREAKER_WINDOW_SECONDS}`))
  @IsIntegerBetween(1, MAX_BREAKER_WINDOW_SECONDS)
  windowSeconds!: number;
}

/** PUT replaces the whole policy: every field is required. */
export class PurgePolicyDto {
  @ApiProperty({
    minimum: 0,
    maximum: MAX_GRACE_SECONDS,
    default: 0,
    description: 'Seconds a purge waits (scheduled) after the deactivation',
  })
  @IsDefined(required(`an integer from 0 to ${MAX_GRACE_SECONDS}`))
  @IsIntegerBetween(0, MAX_GRACE_SECONDS)
  graceSeconds!: number;

  @ApiProperty({ type: MassDeactivationPolicyDto })
  @IsDefined(required('an object with enabled, threshold and windowSeconds'))
  @IsObject(mustBe('an object with enabled, threshold and windowSeconds'))
  @ValidateNested()
  @Type(() => MassDeactivationPolicyDto)
  massDeactivation!: MassDeactivationPolicyDto;
}

export class ReleaseHeldPurgesDto {
  @ApiProperty({ enum: ['mass_deactivation'], description: 'Purges held by a legal hold are released by lifting the hold' })
  @IsDefined(required('mass_deactivation'))
  @IsIn(['mass_deactivation'], {
    message:
      'reason must be mass_deactivation: purges held for a legal hold are released by lifting the hold (DELETE /admin/v1/users/:id/legal-hold).',
  })
  reason!: Extract<HoldReason, 'mass_deactivation'>;
}

export class ReleasedPurgesDto {
  @ApiProperty({ enum: HOLD_REASONS }) reason!: HoldReason;
  @ApiProperty({ description: 'How many held purges were released' }) released!: number;
}

export function toPolicyResponse(policy: PurgePolicy): PurgePolicyDto {
  return {
    graceSeconds: policy.graceSeconds,
    massDeactivation: { ...policy.massDeactivation },
  };
}
