import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSourceTree } from './data-access-rules';
import { checkLayering, FEATURES, INFRASTRUCTURE } from './layering-rules';

const ROOT = resolve(__dirname, '../..');

function check(path: string, text: string) {
  return checkLayering([{ path, text }]).map(({ line, imported }) => ({ line, imported }));
}

describe('layering rules on fixture text', () => {
  it('flags every import form from infrastructure into a feature', () => {
    const text = [
      "import { ScimException } from '../../scim/scim-error';",
      "import type { User } from '../../users/user.entity';",
      "export { PublicRoute } from '../../auth/auth-kind.decorator';",
      "const lazy = import('../../history/history.service');",
      "const old = require('../../sso/sso.module');",
    ].join('\n');
    expect(check('src/common/errors/x.ts', text)).toEqual([
      { line: 1, imported: '../../scim/scim-error' },
      { line: 2, imported: '../../users/user.entity' },
      { line: 3, imported: '../../auth/auth-kind.decorator' },
      { line: 4, imported: '../../history/history.service' },
      { line: 5, imported: '../../sso/sso.module' },
    ]);
  });

  it('allows infrastructure to import infrastructure, packages and the folder itself', () => {
    const text = [
      "import { Settings } from '../../config/settings';",
      "import { BlobStorage } from '../storage/blob-storage';",
      "import { describeError } from './error-response';",
      "import { HttpException } from '@nestjs/common';",
      "import { caseFold } from 'unicode-case-folding';",
    ].join('\n');
    expect(check('src/common/errors/x.ts', text)).toEqual([]);
  });

  it('lets features and the composition root import anything', () => {
    const text = "import { sendError } from '../common/errors/all-exceptions.filter';\nimport { X } from './scim/scim.module';";
    expect(check('src/scim/scim.module.ts', text)).toEqual([]);
    expect(check('src/app.module.ts', text)).toEqual([]);
  });

  it('resolves the path rather than matching names: a sibling folder called like a feature is not one', () => {
    expect(check('src/common/http/x.ts', "import { a } from './scim/local';")).toEqual([]);
    expect(check('src/database/migrations/x.ts', "import { a } from '../../users/caseless-text';")).toEqual([
      { line: 1, imported: '../../users/caseless-text' },
    ]);
  });
});

describe('this tree', () => {
  it('puts every folder under src/ in exactly one of the two lists', () => {
    const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    const listed: string[] = [...INFRASTRUCTURE, ...FEATURES];
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual(folders);
  });

  // Specs are left out (as by the data-access rules): a unit spec of a shared mechanism may try it
  // on features' real inputs (validation messages on their DTOs) without coupling what ships.
  it('has no infrastructure file that imports a feature', () => {
    const files = readSourceTree(ROOT);
    expect(files.some((file) => file.path === 'src/common/errors/all-exceptions.filter.ts')).toBe(true);
    const violations = checkLayering(files);
    expect(violations, violations.map(({ file, line, imported }) => `${file}:${line} imports ${imported}`).join('\n')).toEqual([]);
  });
});
