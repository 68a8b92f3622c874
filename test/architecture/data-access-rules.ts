import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/**
 * The data-access rules of the one data layer, checked on source text:
 * - service-data-access: no service or controller imports TypeORM's data access (DataSource,
 *   EntityManager, Repository, …) or holds SQL text;
 * - driver-import: only src/database imports mysql2 or better-sqlite3;
 * - repository-bypass: repositories reach the database only through the Database provider, with
 *   their SQL declared through statement()/statementFamily();
 * - data-access-elsewhere: any other file outside src/database (entities, migrations and module
 *   registrations aside) that does either.
 */
export type RuleId = 'service-data-access' | 'driver-import' | 'repository-bypass' | 'data-access-elsewhere';
export type SourceText = { path: string; text: string };
export type Violation = { rule: RuleId; file: string; line: number; detail: string };
export type DeclaredStatement = { name: string; kind: 'statement' | 'family'; file: string; line: number };

const DRIVERS = new Set(['mysql2', 'better-sqlite3']);
const TYPEORM_MODULES = new Set(['typeorm', '@nestjs/typeorm']);
// Other packages' ways into TypeORM's connection.
const TYPEORM_BY_OTHER_MODULES: Readonly<Record<string, readonly string[]>> = { '@nestjs/terminus': ['TypeOrmHealthIndicator'] };
const LEGACY_DATA_ACCESS = [
  '/database/prepared-sql',
  '/database/serialized-transaction',
  '/database/bound-integer',
  '/database/unique-violation',
];
const DECLARERS = new Set(['statement', 'statementFamily']);
// Whole statements, and the fragments that only SQL has (a repository composes those into families).
const STATEMENT_PATTERNS = [
  /\bSELECT\b[\s\S]*\bFROM\b/,
  /\bINSERT\s+INTO\b/,
  /\bUPDATE\s+[\w`"]+\s+SET\b/,
  /\bDELETE\s+FROM\b/,
  /\b(CREATE|ALTER|DROP)\s+TABLE\b/,
];
const FRAGMENT_PATTERNS = [
  /\bIS\s+(NOT\s+)?NULL\b/,
  /\b\w+(\.\w+)?\s*(=|<>|!=|<=|>=|<|>|\bLIKE\b|\bIN\b)\s*\(?\s*(\?|:\.{0,3}\w+)/,
  /\bORDER\s+BY\b/,
];

export function checkDataAccess(files: readonly SourceText[]): Violation[] {
  return files
    .flatMap((file) => checkFile(file))
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule));
}

/** Every statement()/statementFamily() declaration with a literal name, for the coverage check. */
export function declaredStatements(files: readonly SourceText[]): DeclaredStatement[] {
  const declared: DeclaredStatement[] = [];
  for (const file of files) {
    const source = parse(file);
    visit(source, (node) => {
      if (!ts.isCallExpression(node) || !ts.isIdentifier(node.expression) || !DECLARERS.has(node.expression.text)) {
        return;
      }
      const callee = node.expression.text;
      const [name] = node.arguments;
      if (name && ts.isStringLiteralLike(name)) {
        declared.push({
          name: name.text,
          kind: callee === 'statement' ? 'statement' : 'family',
          file: file.path,
          line: lineOf(source, node),
        });
      }
    });
  }
  return declared.sort((a, b) => a.name.localeCompare(b.name));
}

/** The project's TypeScript sources under `dir` (spec files excluded), with paths relative to `root`. */
export function readSourceTree(root: string, dir = 'src'): SourceText[] {
  const walk = (absolute: string): string[] =>
    readdirSync(absolute, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? walk(join(absolute, entry.name))
        : entry.name.endsWith('.ts') && !/\.spec\.ts$/.test(entry.name)
          ? [join(absolute, entry.name)]
          : [],
    );
  return walk(join(root, dir))
    .sort()
    .map((path) => ({ path: relative(root, path).split(sep).join('/'), text: readFileSync(path, 'utf8') }));
}

export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((violation) => `${violation.file}:${violation.line} [${violation.rule}] ${violation.detail}`).join('\n');
}

type Role = 'database' | 'exempt' | 'service' | 'repository' | 'other';

function roleOf(path: string): Role {
  if (path.startsWith('src/database/')) {
    return 'database';
  }
  if (/\.(entity|module)\.ts$/.test(path) || /\.spec\.ts$/.test(path)) {
    return 'exempt';
  }
  if (/\.(service|controller)\.ts$/.test(path)) {
    return 'service';
  }
  return /\.repository\.ts$/.test(path) ? 'repository' : 'other';
}

function checkFile(file: SourceText): Violation[] {
  const role = roleOf(file.path);
  const source = parse(file);
  const violations: Violation[] = [];
  const report = (rule: RuleId, node: ts.Node, detail: string): void => {
    violations.push({ rule, file: file.path, line: lineOf(source, node), detail });
  };
  const dataAccessRule: RuleId | null =
    role === 'service'
      ? 'service-data-access'
      : role === 'repository'
        ? 'repository-bypass'
        : role === 'other'
          ? 'data-access-elsewhere'
          : null;
  visit(source, (node) => {
    const imported = importedModule(node);
    if (imported !== null) {
      if (role !== 'database' && DRIVERS.has(imported.split('/')[0])) {
        report('driver-import', node, `imports ${imported}`);
      }
      if (dataAccessRule && role !== 'exempt' && TYPEORM_MODULES.has(imported)) {
        report(dataAccessRule, node, `imports ${importedNames(node) || imported} from ${imported}`);
      }
      const throughOthers = (TYPEORM_BY_OTHER_MODULES[imported] ?? []).filter((name) => importedNames(node).split(', ').includes(name));
      if (dataAccessRule && throughOthers.length > 0) {
        report(dataAccessRule, node, `imports ${throughOthers.join(', ')} from ${imported}`);
      }
      if (dataAccessRule && LEGACY_DATA_ACCESS.some((legacy) => imported.endsWith(legacy))) {
        report(dataAccessRule, node, `imports ${imported}`);
      }
      return;
    }
    if (!dataAccessRule) {
      return;
    }
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      DECLARERS.has(node.expression.text) &&
      !(node.arguments[0] && ts.isStringLiteralLike(node.arguments[0]))
    ) {
      report(dataAccessRule, node, `${node.expression.text}() needs a literal name, so the statement coverage check can find it`);
    }
    const sql = sqlText(node, role === 'repository' ? STATEMENT_PATTERNS : [...STATEMENT_PATTERNS, ...FRAGMENT_PATTERNS]);
    if (sql !== null && !(role === 'repository' && insideDeclaration(node))) {
      const where = role === 'repository' ? 'SQL outside statement()/statementFamily()' : 'holds SQL text';
      report(dataAccessRule, node, `${where}: ${sql.replace(/\s+/g, ' ').slice(0, 80)}`);
    }
  });
  return violations;
}

function parse(file: SourceText): ts.SourceFile {
  return ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

function visit(node: ts.Node, action: (node: ts.Node) => void): void {
  action(node);
  node.forEachChild((child) => visit(child, action));
}

function lineOf(source: ts.SourceFile, node: ts.Node): number {
  return source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
}

/** The module an import, export-from, `require()` or `import()` names. */
function importedModule(node: ts.Node): string | null {
  if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
    return node.moduleSpecifier.text;
  }
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
    return node.argument.literal.text;
  }
  if (
    ts.isCallExpression(node) &&
    (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
  ) {
    const [argument] = node.arguments;
    return argument && ts.isStringLiteral(argument) ? argument.text : null;
  }
  return null;
}

function importedNames(node: ts.Node): string {
  if (!ts.isImportDeclaration(node) || !node.importClause) {
    return '';
  }
  const { name, namedBindings } = node.importClause;
  const names = name ? [name.text] : [];
  if (namedBindings && ts.isNamedImports(namedBindings)) {
    names.push(...namedBindings.elements.map((element) => element.name.text));
  }
  return names.join(', ');
}

/** The text of a string or template literal that reads as SQL, or null. */
function sqlText(node: ts.Node, patterns: readonly RegExp[]): string | null {
  let text: string | null = null;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
    text = node.text;
  } else if (ts.isTemplateExpression(node)) {
    text = [node.head.text, ...node.templateSpans.map((span) => `\${…}${span.literal.text}`)].join('');
  }
  return text !== null && patterns.some((pattern) => pattern.test(text)) ? text : null;
}

function insideDeclaration(node: ts.Node): boolean {
  for (let current: ts.Node | undefined = node.parent; current; current = current.parent) {
    if (ts.isCallExpression(current) && ts.isIdentifier(current.expression) && DECLARERS.has(current.expression.text)) {
      return true;
    }
  }
  return false;
}
