import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describeValidationErrors } from '../common/validation/validation-messages';
import { CliError, EXIT_USAGE } from './cli-error';

/** Validates command input with the same DTO rules the services rely on, listing every invalid input once. */
export function validateInput<T extends object>(type: ClassConstructor<T>, raw: Record<string, unknown>): T {
  const input = plainToInstance(type, raw);
  const errors = validateSync(input, { whitelist: true });
  if (errors.length > 0) {
    const problems = describeValidationErrors(errors);
    throw new CliError(`Invalid input:\n  - ${problems.join('\n  - ')}`, EXIT_USAGE);
  }
  return input;
}
