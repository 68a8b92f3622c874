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
      // The SQLite write guard is on: a write outside the serialising turn throws instead of joining
      // another request's transaction (migrations run at initialisation, before the guard).
      useFactory: (dataSource: DataSource) => Database.open(dataSource),
    },
  ],
  exports: [Database],
})
export class DatabaseModule {}
