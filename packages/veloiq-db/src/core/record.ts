import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Transaction } from '@mikro-orm/core';
import { editedRevisionAdvice, restampCommand } from './edit-advice';
import { UserError } from './errors';
import type { Database } from './orm';
import { listRevisions, type Revision } from './revisions';

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

/**
 * A driver error on the record table as one line with the fix: a table of that name that is not
 * MikroORM's (no `name` column), or a user without the rights to read or write it.
 */
function recordError(db: Database, action: 'read' | 'write', error: unknown): UserError {
  // The driver's message is `<sql> - <what PostgreSQL said>`; the SQL is ours, the rest is news.
  const full = String((error as Error)?.message ?? error);
  const message = full.slice(full.lastIndexOf(' - ') + (full.includes(' - ') ? 3 : 0)).split('\n')[0];
  const table = `${db.recordTable.schema}.${db.recordTable.table}`;
  if ((error as { code?: string })?.code === '42703') {
    return new UserError(
      `The table ${table} is not MikroORM's migrations table (${message}). Rename that table, or point migrations.tableName in the MikroORM config at another one.`,
    );
  }
  if (/must be owner/.test(message)) {
    return new UserError(
      `Cannot add the checksum column to the migrations table ${table}: ${message}. Have its owner run 'alter table ${table} add column checksum varchar(64)' once (or one upgrade). Nothing was changed.`,
    );
  }
  return new UserError(
    `Cannot ${action} the migrations table ${table}: ${message}. ` +
      `Run as a user that may (${action === 'read' ? 'SELECT on it' : 'CREATE on the schema when the table is missing, INSERT and DELETE on it'}), or grant those rights. Nothing was changed.`,
  );
}

async function guarded<T>(db: Database, action: 'read' | 'write', work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof UserError ? error : recordError(db, action, error);
  }
}

/** Names of applied revisions, in the order they were applied; none when the table is absent. */
export async function appliedNames(db: Database, ctx?: Transaction): Promise<string[]> {
  return (await appliedRecords(db, ctx)).map((record) => record.name);
}

/** A string as an SQL literal. */
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * Creates the record table (as MikroORM's migrator would) when it is missing, and adds our
 * checksum column when that is missing. Each step only when needed: `create ... if not exists`
 * and `add column if not exists` need rights (CREATE on the database or schema, owning the
 * table) even when there is nothing to do, and a user that may only write rows must get by.
 * One statement, so it reads the same in a --sql script.
 */
export async function ensureRecordTable(db: Database, ctx?: Transaction): Promise<void> {
  const { schema, table } = db.recordTable;
  const quotedSchema = `"${schema.replace(/"/g, '""')}"`;
  await guarded(db, 'write', () =>
    connection(db).execute(
      `do $veloiq$ begin
  if not exists (select 1 from pg_namespace where nspname = ${literal(schema)}) then
    create schema ${quotedSchema};
  end if;
  if to_regclass(${literal(qualified(db))}) is null then
    create table ${qualified(db)} (id serial primary key, name varchar(255), executed_at timestamptz default current_timestamp);
  end if;
  -- Our one addition: a nullable column, which MikroORM's migrator (it inserts names only and
  -- reads rows by name) neither needs nor minds; its rows, and rows from before, have none.
  if not exists (select 1 from information_schema.columns where table_schema = ${literal(schema)} and table_name = ${literal(table)} and column_name = 'checksum') then
    alter table ${qualified(db)} add column checksum varchar(64);
  end if;
end $veloiq$`,
      [],
      'run',
      ctx,
    ),
  );
}

/** A revision file's checksum: SHA-256 of its text, line endings normalised (git autocrlf). */
export function fileChecksum(path: string): string {
  return createHash('sha256').update(readFileSync(path, 'utf8').replace(/\r\n/g, '\n')).digest('hex');
}

/**
 * Records revisions as applied, each with its file's checksum: one statement, however many.
 * Needs ensureRecordTable first (in the same transaction).
 */
export async function recordApplied(db: Database, revisions: Pick<Revision, 'name' | 'path'>[], ctx?: Transaction): Promise<void> {
  if (revisions.length === 0) return;
  const placeholders = revisions.map(() => '(?, ?)').join(', ');
  const values = revisions.flatMap((revision) => [revision.name, fileChecksum(revision.path)]);
  await guarded(db, 'write', () => connection(db).execute(`insert into ${qualified(db)} (name, checksum) values ${placeholders}`, values, 'run', ctx));
}

export interface AppliedRecord {
  name: string;
  /** Null for rows written before checksums existed, or by MikroORM's own migrator. */
  checksum: string | null;
}

/** The record's rows, oldest first; none when the table is absent. Works with or without the checksum column. */
export async function appliedRecords(db: Database, ctx?: Transaction): Promise<AppliedRecord[]> {
  const rows = await guarded(db, 'read', async () => {
    const [{ exists }] = await connection(db).execute<{ exists: boolean }[]>('select to_regclass(?) is not null as exists', [qualified(db)], 'all', ctx);
    if (!exists) return [];
    return connection(db).execute<AppliedRecord[]>(
      `select r.name, to_jsonb(r) ->> 'checksum' as checksum from ${qualified(db)} r order by r.id`,
      [],
      'all',
      ctx,
    );
  });
  // MikroORM once stored names with their extension; both spellings mean the same revision.
  return rows.map((row: AppliedRecord) => ({ name: row.name.replace(/\.(ts|js)$/, ''), checksum: row.checksum ?? null }));
}

export interface Drift {
  /** Applied revisions whose file changed since (recorded checksum differs). */
  edited: Revision[];
  /** Names recorded as applied that no revision file has (deleted, renamed, or typed by hand). */
  missing: string[];
  /** The stamp commands that record the edited files as they are now (see edit-advice.ts). */
  restamp?: string;
}

/** Applied revisions whose files were edited or deleted after they were applied. */
export async function driftOf(db: Database, revisions: Revision[] = listRevisions(db.migrationsDir), records?: AppliedRecord[]): Promise<Drift> {
  const byName = new Map(revisions.map((r) => [r.name, r]));
  const drift: Drift = { edited: [], missing: [] };
  const applied = records ?? (await appliedRecords(db));
  for (const { name, checksum } of applied) {
    const revision = byName.get(name);
    if (!revision) drift.missing.push(name);
    else if (checksum && checksum !== fileChecksum(revision.path)) drift.edited.push(revision);
  }
  if (drift.edited.length > 0) drift.restamp = restampCommand(revisions, drift.edited, new Set(applied.map((r) => r.name)));
  return drift;
}

/** The warning lines for a drift: one per kind, naming every revision. */
export function driftWarnings({ edited, missing, restamp }: Drift): string[] {
  const lines: string[] = [];
  if (edited.length > 0) {
    const names = edited.map((r) => `${r.id} (${r.description})`).join(', ');
    lines.push(
      `Warning: applied revision${edited.length === 1 ? '' : 's'} ${names} changed since ${edited.length === 1 ? 'it was' : 'they were'} applied; ` +
        `the database ran the old version. ${editedRevisionAdvice(restamp)}`,
    );
  }
  if (missing.length > 0) {
    lines.push(
      `Warning: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} recorded as applied but no revision file has ${missing.length === 1 ? 'that name' : 'those names'}; ` +
        `restore the file${missing.length === 1 ? '' : 's'} (git), or fix the record with 'veloiq db stamp <revision>'.`,
    );
  }
  return lines;
}

/** Removes revisions from the record (also their older spellings with an extension). */
export async function recordReverted(db: Database, names: string[], ctx?: Transaction): Promise<void> {
  if (names.length === 0) return;
  const spellings = names.flatMap((name) => [name, `${name}.ts`, `${name}.js`]);
  const placeholders = spellings.map(() => '?').join(', ');
  await guarded(db, 'write', () => connection(db).execute(`delete from ${qualified(db)} where name in (${placeholders})`, spellings, 'run', ctx));
}
