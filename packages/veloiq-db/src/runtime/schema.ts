import type { MikroORM } from '@mikro-orm/core';
import {
  DatabaseSchema,
  SchemaComparator,
  type Column,
  type PostgreSqlDriver,
  type SchemaDifference,
  type SqlSchemaGenerator,
  type TableDifference,
} from '@mikro-orm/postgresql';
import { driverMessage, UserError } from '../core/errors';

/** What startup created: table names, and `table.column` for columns added to existing tables. */
export interface CreatedSchema {
  tables: string[];
  columns: string[];
}

function pick<T>(items: Record<string, T>, keep: (item: T) => boolean): Record<string, T> {
  return Object.fromEntries(Object.entries(items).filter(([, item]) => keep(item)));
}

/**
 * The part of a table's diff that only adds: the missing columns (a column the comparator
 * takes for a rename is missing too, and is added beside the old one), with the indexes and
 * foreign keys that cover only those new columns. Changes and removals are dropped.
 */
function additionsOf(diff: TableDifference): TableDifference | undefined {
  const added: Record<string, Column> = { ...diff.addedColumns };
  for (const column of Object.values(diff.renamedColumns)) added[column.name] = column;
  if (Object.keys(added).length === 0) return undefined;
  const onlyNew = (columns: string[]) => columns.every((name) => name in added);
  return {
    name: diff.name,
    fromTable: diff.fromTable,
    toTable: diff.toTable,
    addedColumns: added,
    changedColumns: {},
    removedColumns: {},
    renamedColumns: {},
    addedIndexes: pick(diff.addedIndexes, (index) => onlyNew(index.columnNames)),
    changedIndexes: {},
    removedIndexes: {},
    renamedIndexes: {},
    addedChecks: {},
    changedChecks: {},
    removedChecks: {},
    addedForeignKeys: pick(diff.addedForeignKeys, (fk) => onlyNew(fk.columnNames)),
    changedForeignKeys: {},
    removedForeignKeys: {},
  };
}

/** A schema diff reduced to creation: new namespaces, enums, tables and columns; nothing else. */
function creationsOf(diff: SchemaDifference): SchemaDifference {
  const changedTables: Record<string, TableDifference> = {};
  for (const [key, table] of Object.entries(diff.changedTables)) {
    const additions = additionsOf(table);
    if (additions) changedTables[key] = additions;
  }
  return {
    ...diff,
    changedTables,
    removedTables: {},
    removedNamespaces: new Set(),
    removedNativeEnums: [],
    orphanedForeignKeys: [],
  };
}

/**
 * Creates the tables and columns the entities need that the database lacks, in one
 * transaction. Never drops, renames or alters anything that exists: a changed column stays as
 * it is (that is a migration's job). The caller holds the migration lock, so two apps starting
 * at once (or an app and `veloiq db upgrade`) do not both create the same table.
 */
export async function createMissingSchema(orm: MikroORM): Promise<CreatedSchema> {
  const sqlOrm = orm as unknown as MikroORM<PostgreSqlDriver>;
  const connection = sqlOrm.em.getConnection();
  const platform = sqlOrm.em.getPlatform();
  const generator = sqlOrm.getSchemaGenerator() as SqlSchemaGenerator;
  const config = sqlOrm.config;
  const wildcardTables = Object.values(sqlOrm.getMetadata().getAll())
    .filter((meta) => meta.schema === '*')
    .map((meta) => meta.tableName);

  let creations: SchemaDifference | undefined;
  try {
    await connection.transactional(async (ctx) => {
      const toSchema = generator.getTargetSchema();
      const fromSchema = await DatabaseSchema.create(
        connection,
        platform,
        config,
        undefined,
        toSchema.getNamespaces(),
        undefined,
        config.get('schemaGenerator').skipTables,
        ctx,
      );
      fromSchema.prune(undefined, wildcardTables);
      toSchema.prune(undefined, wildcardTables);
      creations = creationsOf(new SchemaComparator(platform).compare(fromSchema, toSchema));
      const sql = await generator.diffToSQL(creations, { wrap: false, safe: true, dropTables: false });
      if (sql.trim()) await connection.execute(sql, [], 'run', ctx);
    });
  } catch (error) {
    const message = driverMessage(error);
    throw new UserError(
      `Creating the missing tables on startup failed: ${message}. Nothing was changed; ` +
        `write a migration for this change ('veloiq db migrate -m "..."', then 'veloiq db upgrade').`,
    );
  }
  // Names as users write them: `product`, or `schema.table` outside the default schema.
  const nameOf = (table: { name: string; schema?: string }) =>
    table.schema && table.schema !== platform.getDefaultSchemaName() ? `${table.schema}.${table.name}` : table.name;
  return {
    tables: Object.values(creations?.newTables ?? {}).map(nameOf),
    columns: Object.values(creations?.changedTables ?? {}).flatMap((table) =>
      Object.keys(table.addedColumns).map((column) => `${nameOf(table.toTable)}.${column}`),
    ),
  };
}
