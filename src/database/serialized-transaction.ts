import { DataSource, EntityManager } from 'typeorm';

const tails = new WeakMap<DataSource, Promise<unknown>>();

/**
 * `dataSource.transaction`, made safe for SQLite. TypeORM's better-sqlite3 driver runs every query
 * of the process on one connection and does not serialize transactions: two that overlap fail
 * ("cannot start a transaction within a transaction") or nest as savepoints of each other. On
 * SQLite the transactions passed here run one after another; MySQL gives each transaction its own
 * pooled connection and needs nothing. `work` must not start another transaction through this
 * function (it would wait for itself).
 *
 * General, not history-specific: it belongs in src/database, used by every transaction.
 */
export function serializedTransaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (dataSource.options.type !== 'better-sqlite3') {
    return dataSource.transaction(work);
  }
  return inTurn(dataSource, () => dataSource.transaction(work));
}

/**
 * One statement that is atomic by itself and needs no transaction (and on MySQL no BEGIN/COMMIT
 * round trips). On SQLite it still waits its turn, so it cannot run inside, and vanish with,
 * another request's open transaction on the shared connection.
 */
export function serializedStatement<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  return dataSource.options.type === 'better-sqlite3' ? inTurn(dataSource, work) : work();
}

function inTurn<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  const previous = tails.get(dataSource) ?? Promise.resolve();
  const run = previous.then(work, work);
  tails.set(
    dataSource,
    run.catch(() => undefined),
  );
  return run;
}
