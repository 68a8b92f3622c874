import { Column, ColumnOptions, getMetadataArgsStorage } from 'typeorm';

/**
 * The column type a sealed message body needs on MySQL/MariaDB: the longest body the API takes
 * seals to more than a BLOB holds (docs/encryption.md). SQLite has one BLOB of any size, and
 * TypeORM's SQLite driver refuses the MySQL name, so the type is settled per dialect below.
 */
export const SEALED_BODY_MYSQL_TYPE = 'mediumblob';

type DialectType = { readonly sqlite: 'blob'; readonly mysql: 'blob' | typeof SEALED_BODY_MYSQL_TYPE };
const dialectColumns: { readonly options: ColumnOptions; readonly types: DialectType }[] = [];

/** A binary column whose type differs between the dialects (the schema test compares it exactly). */
export function DialectBlobColumn(types: DialectType, options: Omit<ColumnOptions, 'type'> = {}): PropertyDecorator {
  return (target, propertyName) => {
    Column({ ...options, type: types.sqlite })(target, propertyName);
    const args = getMetadataArgsStorage().columns.find(
      (column) => column.target === target.constructor && column.propertyName === propertyName,
    );
    if (args) {
      dialectColumns.push({ options: args.options, types });
    }
  };
}

/** Gives the dialect columns the running dialect's type; before a DataSource builds its metadata. */
export function useDialectColumnTypes(dialect: 'sqlite' | 'mysql'): void {
  for (const column of dialectColumns) {
    column.options.type = column.types[dialect];
  }
}
