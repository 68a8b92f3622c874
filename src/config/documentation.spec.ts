import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { Environment } from './environment';

const ROOT = resolve(__dirname, '../..');
// Every property that carries a validation rule is a setting.
const settingNames = [
  ...new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(Environment, '', true, false)
      .map((metadata) => metadata.propertyName),
  ),
];

describe('every setting is documented', () => {
  it('(the list is read from the validation rules)', () => {
    expect(settingNames).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'REDIS_URL', 'LOG_FORMAT']));
  });

  it('in .env.example', () => {
    const example = readFileSync(resolve(ROOT, '.env.example'), 'utf8');
    for (const name of settingNames) {
      expect(example, name).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
    }
  });

  it('in the configuration table of docs/configuration.md', () => {
    const reference = readFileSync(resolve(ROOT, 'docs/configuration.md'), 'utf8');
    for (const name of settingNames) {
      expect(reference, name).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
    }
  });
});
