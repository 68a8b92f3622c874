/**
 * A locking read inside a transaction: `FOR UPDATE` or `LOCK IN SHARE MODE` on MySQL/MariaDB,
 * nothing on SQLite, where the transaction is already the only writer.
 */
export type RowLock = 'update' | 'share';

export type StatementOptions = {
  readonly lock?: RowLock;
  /** Server-side limit on a SELECT's run time on MySQL/MariaDB; SQLite runs in-process and has none. */
  readonly timeLimitMs?: number;
};

export type DialectName = 'sqlite' | 'mysql' | 'mariadb';

/** How often the statements of one registry entry ran: a statement, or every shape of a family. */
type Tally = { executions: number };

/**
 * One SQL statement of a repository, declared once at module load under a stable name. The name
 * is what the statement registry reports, so a test tier can show that every statement ran on
 * every database. `Row` types what `rows()`/`first()` give back, as the driver returns it.
 */
export class Statement<Row extends object = Record<string, unknown>> {
  /** The text each dialect executes (lock clause, time limit), rendered on first use. */
  readonly rendered: Partial<Record<DialectName, string>> = {};
  declare readonly row?: Row;

  constructor(
    readonly name: string,
    readonly sql: string,
    readonly lock: RowLock | null,
    readonly timeLimitMs: number | null,
    readonly tally: Tally,
  ) {}
}

/**
 * The few statements whose shape varies (a filter, an optional condition): `build` turns a shape
 * into SQL. A shape must be SQL the repository assembled from its own fixed fragments, never text
 * from a request; values always go in as parameters. Shapes are kept up to a bound, so a client
 * that sends ever new filter shapes cannot grow memory.
 */
export class StatementFamily<Shape extends string = string, Row extends object = Record<string, unknown>> {
  private readonly shapes = new Map<string, Statement<Row>>();

  constructor(
    readonly name: string,
    private readonly build: (shape: Shape) => string,
    private readonly options: StatementOptions,
    private readonly tally: Tally,
  ) {}

  /**
   * The statement of `shape`. `timeLimitMs`, when given, replaces the family's time limit: a limit
   * that is a setting, fixed for the process, so it adds no shapes in practice.
   */
  of(shape: Shape, timeLimitMs?: number): Statement<Row> {
    const key = timeLimitMs === undefined ? shape : `${timeLimitMs}\u0000${shape}`;
    let found = this.shapes.get(key);
    if (!found) {
      const options = timeLimitMs === undefined ? this.options : { ...this.options, timeLimitMs };
      found = createStatement<Row>(this.name, this.build(shape), options, this.tally);
      if (this.shapes.size >= MAX_SHAPES_PER_FAMILY) {
        this.shapes.delete(this.shapes.keys().next().value as string);
      }
      this.shapes.set(key, found);
    }
    return found;
  }
}

export type StatementCoverage = { name: string; kind: 'statement' | 'family'; executions: number };

const MAX_SHAPES_PER_FAMILY = 200;
const MAX_TIME_LIMIT_MS = 3_600_000;
const NAME_PATTERN = /^[a-z][A-Za-z0-9]*(\.[A-Za-z0-9-]+)+$/;
const SELECT_PATTERN = /^\s*SELECT\b/i;

type Registration = {
  kind: StatementCoverage['kind'];
  signature: string;
  tally: Tally;
  entry: Statement<object> | StatementFamily<string, object>;
};
const registry = new Map<string, Registration>();

/** Declares a named statement, e.g. `statement<UserRow>('users.findById', 'SELECT … WHERE id = ?')`. */
export function statement<Row extends object = Record<string, unknown>>(
  name: string,
  sql: string,
  options: StatementOptions = {},
): Statement<Row> {
  const existing = reuse(name, 'statement', `${sql}\n${JSON.stringify(options)}`);
  if (existing) {
    return existing as Statement<Row>;
  }
  const tally = { executions: 0 };
  const declared = createStatement<Row>(name, sql, options, tally);
  registry.set(name, { kind: 'statement', signature: `${sql}\n${JSON.stringify(options)}`, tally, entry: declared });
  return declared;
}

/** Declares a family of statements of one purpose whose SQL varies by shape (see StatementFamily). */
export function statementFamily<Shape extends string = string, Row extends object = Record<string, unknown>>(
  name: string,
  build: (shape: Shape) => string,
  options: StatementOptions = {},
): StatementFamily<Shape, Row> {
  const signature = `${build.toString()}\n${JSON.stringify(options)}`;
  const existing = reuse(name, 'family', signature);
  if (existing) {
    return existing as unknown as StatementFamily<Shape, Row>;
  }
  const tally = { executions: 0 };
  const family = new StatementFamily<Shape, Row>(name, build, options, tally);
  registry.set(name, { kind: 'family', signature, tally, entry: family as unknown as StatementFamily<string, object> });
  return family;
}

/** Every statement and family declared in this process, with how often it ran, by name. */
export function statementCoverage(): StatementCoverage[] {
  return [...registry.entries()]
    .map(([name, { kind, tally }]) => ({ name, kind, executions: tally.executions }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A module evaluated twice (test runners do that) declares the same statements again: keep one. */
function reuse(name: string, kind: Registration['kind'], signature: string): Registration['entry'] | null {
  const existing = registry.get(name);
  if (!existing) {
    return null;
  }
  if (existing.kind !== kind || existing.signature !== signature) {
    throw new Error(`statement name "${name}" is declared twice with different SQL`);
  }
  return existing.entry;
}

function createStatement<Row extends object>(name: string, sql: string, options: StatementOptions, tally: Tally): Statement<Row> {
  if (!NAME_PATTERN.test(name)) {
    throw new Error(`statement name "${name}" must look like "area.purpose" (e.g. "users.findById")`);
  }
  const text = sql.trim();
  if (text === '' || text.endsWith(';')) {
    throw new Error(`statement "${name}" must hold exactly one SQL statement without a trailing semicolon`);
  }
  if ((options.lock || options.timeLimitMs !== undefined) && !SELECT_PATTERN.test(text)) {
    throw new Error(`statement "${name}": locks and time limits apply to SELECT statements only`);
  }
  const timeLimitMs = options.timeLimitMs ?? null;
  if (timeLimitMs !== null && (!Number.isSafeInteger(timeLimitMs) || timeLimitMs < 1 || timeLimitMs > MAX_TIME_LIMIT_MS)) {
    throw new Error(`statement "${name}": timeLimitMs must be a whole number of milliseconds from 1 to ${MAX_TIME_LIMIT_MS}`);
  }
  return new Statement<Row>(name, text, options.lock ?? null, timeLimitMs, tally);
}
