import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, EntityTarget, ObjectLiteral, QueryFailedError } from 'typeorm';
import { boundInteger } from './bound-integer';
import { isInterruptedByTimeLimit, MysqlServer, mysqlServerOf, StatementTimeLimitExceeded, withStatementTimeLimit } from './statement-time-limit';

/** What a statement binds: strings and numbers only, so a statement's text never depends on its values. */
export type SqlValue = string | number | null;

type SqliteStatement = { readonly reader: boolean; all(...values: SqlValue[]): unknown[]; run(...values: SqlValue[]): { changes: number } };
type SqliteDatabase = { prepare(sql: string): SqliteStatement };
type MysqlExecutor = { execute(sql: string, values: SqlValue[], callback: (error: Error | null, result: unknown) => void): void };

// Statements are few and fixed (one per hot query shape and filter shape); this only bounds odd filters.
const SQLITE_STATEMENT_CACHE_SIZE = 500;

/**
 * Prepared statements on the connections TypeORM already manages, for the SCIM request paths that
 * Okta drives hardest. TypeORM's query builder spends a large share of such a request's CPU on
 * generating SQL and hydrating rows (profiled in docs/performance.md), and its MySQL driver sends
 * text-protocol queries; here the SQL is written once, MySQL gets server-side prepared statements
 * (mysql2 `execute`) and SQLite keeps compiled statements. Rows are hydrated through TypeORM's own
 * column conversions, and errors are wrapped as TypeORM's QueryFailedError, so callers see exactly
 * what a repository would give them.
 *
 * Inside a transaction pass its EntityManager: the statement then runs on that transaction's
 * connection. Without one it runs on the pool (MySQL) or the shared connection (SQLite), so SQLite
 * writes must still go through serializedTransaction.
 */
@Injectable()
export class PreparedSql {
  private readonly sqliteStatements = new Map<string, SqliteStatement>();
  private readonly sqlite: boolean;
  private mysqlServer?: Promise<MysqlServer>;

  constructor(private readonly dataSource: DataSource) {
    this.sqlite = dataSource.options.type === 'better-sqlite3';
  }

  async rows(sql: string, values: readonly SqlValue[], manager?: EntityManager): Promise<Record<string, unknown>[]> {
    const result = await this.execute(sql, values, manager);
    return result as Record<string, unknown>[];
  }

  /**
   * `rows` of a SELECT the database stops after `timeLimitMs` (rejecting with
   * StatementTimeLimitExceeded), on MySQL and MariaDB. better-sqlite3 cannot interrupt a
   * statement, so on SQLite it runs to the end; 0 means no limit anywhere.
   */
  async rowsWithinTimeLimit(sql: string, values: readonly SqlValue[], timeLimitMs: number): Promise<Record<string, unknown>[]> {
    if (this.sqlite || timeLimitMs === 0) {
      return this.rows(sql, values);
    }
    const limited = withStatementTimeLimit(sql, await this.whichMysqlServer(), timeLimitMs);
    try {
      return await this.rows(limited, values);
    } catch (error) {
      throw isInterruptedByTimeLimit(error) ? new StatementTimeLimitExceeded(timeLimitMs, { cause: error }) : error;
    }
  }

  /** Runs an INSERT, UPDATE or DELETE; resolves to the number of rows it affected. */
  async run(sql: string, values: readonly SqlValue[], manager?: EntityManager): Promise<number> {
    const result = await this.execute(sql, values, manager);
    return this.sqlite ? (result as { changes: number }).changes : (result as { affectedRows: number }).affectedRows;
  }

  /** The entity's columns as a SELECT list, e.g. `u.id, u.organization_id, …` (build it once, not per query). */
  columns(target: EntityTarget<ObjectLiteral>, alias: string): string {
    return this.dataSource
      .getMetadata(target)
      .columns.map((column) => `${alias}.${column.databaseName}`)
      .join(', ');
  }

  /** A row selected with `columns()` as an entity, converted exactly as TypeORM converts it. */
  hydrate<T extends ObjectLiteral>(target: EntityTarget<T>, row: Record<string, unknown>): T {
    const metadata = this.dataSource.getMetadata(target);
    const entity = metadata.create() as Record<string, unknown>;
    for (const column of metadata.columns) {
      if (column.databaseName in row) {
        entity[column.propertyName] = this.dataSource.driver.prepareHydratedValue(row[column.databaseName], column);
      }
    }
    return entity as T;
  }

  /**
   * An integer for LIMIT/OFFSET. mysql2 binds JS numbers as DOUBLE, which MySQL 8 refuses there;
   * a decimal string is read as the integer on MySQL and MariaDB, while SQLite needs the number.
   */
  integer(value: number): SqlValue {
    const bound = boundInteger(value);
    return this.sqlite ? value : bound;
  }

  /** An entity property's value as this database stores it (booleans as 0/1, dates in UTC). */
  bindable(target: EntityTarget<ObjectLiteral>, propertyName: string, value: unknown): SqlValue {
    const column = this.dataSource.getMetadata(target).findColumnWithPropertyName(propertyName);
    if (!column) {
      throw new Error(`${String(propertyName)} is not a column`);
    }
    const prepared: unknown = this.dataSource.driver.preparePersistentValue(value, column);
    if (prepared instanceof Date) {
      // MySQL's DATETIME(6) takes the UTC wall-clock time, as TypeORM writes it with timezone 'Z'.
      return prepared.toISOString().replace('T', ' ').replace('Z', '');
    }
    if (typeof prepared === 'boolean') {
      return prepared ? 1 : 0;
    }
    if (prepared === undefined || prepared === null) {
      return null;
    }
    if (typeof prepared !== 'string' && typeof prepared !== 'number') {
      throw new Error(`${String(propertyName)} has no bindable value`);
    }
    return prepared;
  }

  /**
   * Asked of the server once: a mariadb:// URL is the operator's word, and a time limit written for
   * the other server would make every limited query a syntax error.
   */
  private whichMysqlServer(): Promise<MysqlServer> {
    this.mysqlServer ??= this.rows('SELECT VERSION() AS version', []).then(
      ([row]) => mysqlServerOf(typeof row?.version === 'string' ? row.version : ''),
      (error: unknown) => {
        this.mysqlServer = undefined;
        throw error;
      },
    );
    return this.mysqlServer;
  }

  private async execute(sql: string, values: readonly SqlValue[], manager?: EntityManager): Promise<unknown> {
    try {
      return this.sqlite ? this.executeOnSqlite(sql, values) : await this.executeOnMysql(sql, values, manager);
    } catch (error) {
      throw error instanceof QueryFailedError ? error : new QueryFailedError(sql, [...values], error as Error);
    }
  }

  private executeOnSqlite(sql: string, values: readonly SqlValue[]): unknown {
    let statement = this.sqliteStatements.get(sql);
    if (!statement) {
      const database = (this.dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
      statement = database.prepare(sql);
      if (this.sqliteStatements.size >= SQLITE_STATEMENT_CACHE_SIZE) {
        this.sqliteStatements.clear();
      }
      this.sqliteStatements.set(sql, statement);
    }
    return statement.reader ? statement.all(...values) : statement.run(...values);
  }

  private executeOnMysql(sql: string, values: readonly SqlValue[], manager?: EntityManager): Promise<unknown> {
    const queryRunner = manager?.queryRunner as { isTransactionActive: boolean; databaseConnection?: MysqlExecutor } | undefined;
    const transactionConnection = queryRunner?.isTransactionActive ? queryRunner.databaseConnection : undefined;
    const executor = transactionConnection ?? (this.dataSource.driver as unknown as { pool: MysqlExecutor }).pool;
    return new Promise((resolve, reject) => {
      executor.execute(sql, [...values], (error, result) => (error ? reject(error) : resolve(result)));
    });
  }
}
