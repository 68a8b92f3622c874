export { DEFAULT_MAX_FILTER_CLAUSES, FilterTooComplexError, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from './filter-limits';
export { parseUserFilter } from './parse-user-filter';
export type { UserFilterLimits } from './parse-user-filter';
export type { ScimDateTime } from './scim-date-time';
export { ScimFilterError } from './scim-filter.error';
export type { UserFilter, UserFilterAttribute } from '../../users/search/user-filter';
