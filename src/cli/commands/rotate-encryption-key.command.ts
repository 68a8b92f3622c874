import { INestApplicationContext } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { IsIntegerBetween } from '../../common/is-integer-between';
import { KeyRotationService, RotationReport } from '../../key-rotation/key-rotation.service';
import { CliError } from '../cli-error';
import { validateInput } from '../validate-input';

export const ROTATE_ENCRYPTION_KEY_OPTIONS = {
  'batch-size': { type: 'string' },
  'pause-ms': { type: 'string' },
} as const;

export class RotateEncryptionKeyInput {
  @IsOptional()
  @Type(() => Number)
  @IsIntegerBetween(1, 10_000)
  batchSize: number = 500;

  @IsOptional()
  @Type(() => Number)
  @IsIntegerBetween(0, 60_000)
  pauseMs: number = 0;
}

export function parseRotateEncryptionKeyInput(
  args: Partial<Record<keyof typeof ROTATE_ENCRYPTION_KEY_OPTIONS, string>>,
): RotateEncryptionKeyInput {
  const given = { batchSize: args['batch-size'], pauseMs: args['pause-ms'] };
  // An option left out keeps its default rather than becoming undefined.
  return validateInput(RotateEncryptionKeyInput, Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)));
}

/** Progress on stderr as it goes; the report on stdout; exit 1 when something could not be moved. */
export async function runRotateEncryptionKey(app: INestApplicationContext, input: RotateEncryptionKeyInput): Promise<RotationReport> {
  const report = await app.get(KeyRotationService).rotate(input, ({ stage, done, total }) => {
    process.stderr.write(`${stage}: ${done} of ${total}\n`);
  });
  const { needingReplacement } = report.scimCredentials;
  if (needingReplacement.length > 0) {
    process.stderr.write(
      `${needingReplacement.length} active SCIM credential(s) still verify only with a previous key: issue new ones ` +
        '(POST /admin/v1/api-keys/<apiKeyId>/scim-credentials, listed in scimCredentials.needingReplacement) and give them ' +
        'to the identity provider before removing ENCRYPTION_KEYS_PREVIOUS.\n',
    );
  }
  if (!report.complete) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    const skipped = [...report.dataKeys.skipped, ...report.apiKeySecrets.skipped];
    const needed = [
      ...new Set(skipped.filter((entry) => entry.reason === 'server-key-not-configured').map((entry) => entry.serverKeyId ?? 'unknown')),
    ];
    throw new CliError(
      `${skipped.reduce((sum, entry) => sum + entry.count, 0)} item(s) could not be moved to the current key` +
        (needed.length > 0
          ? `: add the key(s) with id ${needed.join(', ')} to ENCRYPTION_KEYS_PREVIOUS and run the command again.`
          : ' (see "skipped" in the report).'),
    );
  }
  return report;
}
