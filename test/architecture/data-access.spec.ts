import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { checkDataAccess, formatViolations, readSourceTree } from './data-access-rules';

/**
 * The data-access rules hold on this tree: no service or controller touches DataSource,
 * EntityManager, a TypeORM repository or SQL text; repositories run their statements through
 * Database. `npm run report:data-access` prints the same check with the statement registry.
 */
it('finds no file under src/ that breaks the data-access rules', () => {
  const files = readSourceTree(resolve(__dirname, '../..'));
  expect(files.some((file) => file.path === 'src/database/database.ts')).toBe(true);
  const violations = checkDataAccess(files);
  expect(violations, formatViolations(violations)).toEqual([]);
});
