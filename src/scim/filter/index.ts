export { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from './filter-limits';
export { parseUserFilter } from './parse-user-filter';
export type { ScimDateTime } from './scim-date-time';
export { ScimFilterError } from './scim-filter.error';
export { sqlDialectOf } from './sql-dialect';
export type { SqlDialect } from './sql-dialect';
export type { UserFilter, UserFilterAttribute } from './user-filter';
export { userFilterToPositionalSql, userFilterToSql } from './user-filter-sql';
export type { PositionalSqlCondition, SqlCondition, UserFilterSqlOptions } from './user-filter-sql';
