import { DataSource } from 'typeorm';
import { readSettings } from './src/config/read-environment';
import { buildDataSourceOptions } from './src/database/data-source-options';
import { resolveMysqlDialect } from './src/database/mysql-dialect';

/**
 * The data source of the TypeORM CLI (`npm run migration:run|show|revert`): the same settings
 * and migrations as the service. Migrations run only when asked for here.
 */
async function createDataSource(): Promise<DataSource> {
  const database = await resolveMysqlDialect(readSettings().database);
  return new DataSource({ ...buildDataSourceOptions(database, [`${__dirname}/src/**/*.entity.js`]), migrationsRun: false });
}

export default createDataSource();
