import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Settings } from '../config/settings';
import { buildDataSourceOptions } from './data-source-options';
import { Database } from './database';
import { resolveMysqlDialect } from './mysql-dialect';
import { PreparedSql } from './prepared-sql';

const RETRY_DELAY_MS = 1000;

/** Global like TypeORM's DataSource, which PreparedSql wraps. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [Settings],
      useFactory: async (settings: Settings) => ({
        ...buildDataSourceOptions(await resolveMysqlDialect(settings.database)),
        autoLoadEntities: true,
        retryAttempts: settings.database.connectRetries,
        retryDelay: RETRY_DELAY_MS,
      }),
    }),
  ],
  providers: [
    PreparedSql,
    {
      provide: Database,
      inject: [DataSource],
      // The SQLite write guard stays off until every writer goes through Database: some still
      // write through TypeORM outside a turn, and the guard would make them throw.
      useFactory: (dataSource: DataSource) => Database.open(dataSource, { guardSqliteWrites: false }),
    },
  ],
  exports: [PreparedSql, Database],
})
export class DatabaseModule {}
