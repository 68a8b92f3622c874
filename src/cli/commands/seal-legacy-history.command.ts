import { INestApplicationContext } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { IsIntegerBetween } from '../../common/is-integer-between';
import { LegacyHistorySealer, LegacySealReport } from '../../history/legacy-history-sealer';
import { validateInput } from '../validate-input';

export const SEAL_LEGACY_HISTORY_OPTIONS = { 'batch-size': { type: 'string' } } as const;

export class SealLegacyHistoryInput {
  @IsOptional()
  @Type(() => Number)
  @IsIntegerBetween(1, 10_000)
  batchSize: number = 500;
}

export function parseSealLegacyHistoryInput(
  args: Partial<Record<keyof typeof SEAL_LEGACY_HISTORY_OPTIONS, string>>,
): SealLegacyHistoryInput {
  return validateInput(SealLegacyHistoryInput, args['batch-size'] === undefined ? {} : { batchSize: args['batch-size'] });
}

/** Progress on stderr as it goes; the report on stdout. */
export async function runSealLegacyHistory(app: INestApplicationContext, input: SealLegacyHistoryInput): Promise<LegacySealReport> {
  return app.get(LegacyHistorySealer).seal(input.batchSize, ({ stage, done, total }) => {
    process.stderr.write(`legacy ${stage}: ${done} of ${total}\n`);
  });
}
