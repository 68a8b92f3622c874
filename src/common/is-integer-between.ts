import { ValidateBy, ValidationOptions } from 'class-validator';

/**
 * An integer within [min, max], refused with one message naming the whole range: IsInt, Min and
 * Max together answer "abc" with three messages, the first of them "must not be greater than".
 */
export function IsIntegerBetween(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIntegerBetween',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max,
        defaultMessage: (args) => `${args?.property ?? 'value'} must be an integer from ${min} to ${max}`,
      },
    },
    options,
  );
}
