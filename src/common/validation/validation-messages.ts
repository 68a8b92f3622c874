import type { ValidationArguments, ValidationError, ValidationOptions } from 'class-validator';

/**
 * One message per invalid property, naming the first problem a client has to fix: missing
 * before wrong type before everything else (length, range, format). class-validator reports
 * every failed rule, so a missing string is also "too long" and "not a string".
 */
export function describeValidationErrors(errors: ValidationError[], parentPath = ''): string[] {
  return errors.flatMap((error) => {
    const path = `${parentPath}${error.property}`;
    const first = Object.entries(error.constraints ?? {}).sort(([a], [b]) => rank(a) - rank(b))[0];
    return [...(first ? [first[1]] : []), ...describeValidationErrors(error.children ?? [], `${path}.`)];
  });
}

const TYPE_RULES = new Set(['isString', 'isInt', 'isNumber', 'isBoolean', 'isArray', 'isObject', 'isDate', 'isIn', 'isEnum']);

function rank(rule: string): number {
  if (rule === 'isDefined') {
    return 0;
  }
  return TYPE_RULES.has(rule) ? 1 : 2;
}

/** For @IsDefined: says the property is required and what it must hold. */
export function required(what: string): ValidationOptions {
  return { message: ({ property }: ValidationArguments) => `${property} is required: ${what}.` };
}

/** For type rules: what the property must be, and which type it was instead (never the value). */
export function mustBe(what: string): ValidationOptions {
  return { message: ({ property, value }: ValidationArguments) => `${property} must be ${what}, not ${typeOf(value)}.` };
}

function typeOf(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  if (typeof value === 'number' && Number.isNaN(value)) {
    return 'something else';
  }
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
