import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Settings } from '../config/settings';
import { buildDataSourceOptions } from './data-source-options';
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
  providers: [PreparedSql],
  exports: [PreparedSql],
})
export class DatabaseModule {}
