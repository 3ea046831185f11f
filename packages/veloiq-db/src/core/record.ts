import type { Transaction } from '@mikro-orm/core';
import type { Database } from './orm';

/**
 * The record of applied revisions: MikroORM's own `mikro_orm_migrations` table, so the
 * MikroORM CLI and these commands always agree on what is applied.
 */
function qualified({ recordTable }: Database): string {
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  return `${quote(recordTable.schema)}.${quote(recordTable.table)}`;
}

function connection(db: Database) {
  return db.orm.em.getConnection();
}

/** Names of applied revisions, in the order they were applied; none when the table is absent. */
export async function appliedNames(db: Database, ctx?: Transaction): Promise<string[]> {
  const [{ exists }] = await connection(db).execute<{ exists: boolean }[]>(
    'select to_regclass(?) is not null as exists',
    [qualified(db)],
    'all',
    ctx,
  );
  if (!exists) return [];
  const rows = await connection(db).execute<{ name: string }[]>(`select name from ${qualified(db)} order by id`, [], 'all', ctx);
  // MikroORM once stored names with their extension; both spellings mean the same revision.
  return rows.map((row) => row.name.replace(/\.(ts|js)$/, ''));
}

/** Creates the record table (as MikroORM's migrator would) when it is missing. */
export async function ensureRecordTable(db: Database, ctx?: Transaction): Promise<void> {
  await connection(db).execute(`create schema if not exists "${db.recordTable.schema.replace(/"/g, '""')}"`, [], 'run', ctx);
  await connection(db).execute(
    `create table if not exists ${qualified(db)} (id serial primary key, name varchar(255), executed_at timestamptz default current_timestamp)`,
    [],
    'run',
    ctx,
  );
}

/** Records revisions as applied: one statement, however many. */
export async function recordApplied(db: Database, names: string[], ctx?: Transaction): Promise<void> {
  if (names.length === 0) return;
  const placeholders = names.map(() => '(?)').join(', ');
  await connection(db).execute(`insert into ${qualified(db)} (name) values ${placeholders}`, names, 'run', ctx);
}

/** Removes revisions from the record (also their older spellings with an extension). */
export async function recordReverted(db: Database, names: string[], ctx?: Transaction): Promise<void> {
  if (names.length === 0) return;
  const spellings = names.flatMap((name) => [name, `${name}.ts`, `${name}.js`]);
  const placeholders = spellings.map(() => '?').join(', ');
  await connection(db).execute(`delete from ${qualified(db)} where name in (${placeholders})`, spellings, 'run', ctx);
}
