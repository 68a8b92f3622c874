import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { checkDataAccess, declaredStatements, formatViolations, readSourceTree } from './data-access-rules';

/**
 * `npm run report:data-access`: what breaks the data-access rules on this tree, and the statements
 * declared. `npm test` asserts there is nothing to report (data-access.spec.ts).
 */
it('lists the files that break the data-access rules', () => {
  const files = readSourceTree(resolve(__dirname, '../..'));
  const violations = checkDataAccess(files);
  console.log(
    `${violations.length} violations in ${new Set(violations.map((v) => v.file)).size} of ${files.length} files\n${formatViolations(violations)}`,
  );
  console.log(`statements declared: ${declaredStatements(files).length}`);
  expect(files.some((file) => file.path === 'src/database/database.ts')).toBe(true);
  expect(violations.every((violation) => files.some((file) => file.path === violation.file))).toBe(true);
});
