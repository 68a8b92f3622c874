import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Settings } from '../config/settings';
import { buildDataSourceOptions } from './data-source-options';
import { Database } from './database';
import { resolveMysqlDialect } from './mysql-dialect';

const RETRY_DELAY_MS = 1000;

/** Global: every repository runs its statements through Database. */
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
    {
      provide: Database,
      inject: [DataSource],
      // Every writer of the service goes through Database (the integration tier runs with the guard on
      // to prove it). In the service it stays off while e2e fixtures still write through TypeORM directly.
      useFactory: (dataSource: DataSource) => Database.open(dataSource, { guardSqliteWrites: false }),
    },
  ],
  exports: [Database],
})
export class DatabaseModule {}
