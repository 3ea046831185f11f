import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Transaction } from '@mikro-orm/core';
import { editedRevisionAdvice, restampCommand } from './edit-advice';
import { driverMessage, isConnectionLost, UserError } from './errors';
import { transactionLockKey } from './lock';
import { qualifiedName, quoteIdentifier, quoteLiteral as literal } from './sql-text';
import type { Database, RecordSource } from './orm';
import { listRevisions, type Revision } from './revisions';

/**
 * The record of applied revisions: MikroORM's own `mikro_orm_migrations` table, so the
 * MikroORM CLI and these commands always agree on what is applied.
 */
function qualified({ recordTable }: RecordSource): string {
  return qualifiedName(recordTable.schema, recordTable.table);
}

function connection(db: Database) {
  return db.orm.em.getConnection();
}

/**
 * A driver error on the record table as one line with the fix: a table of that name that is not
 * MikroORM's (no `name` column), or a user without the rights to read or write it.
 */
function recordError(db: RecordSource, action: 'read' | 'write', error: unknown): UserError {
  const message = driverMessage(error);
  const table = `${db.recordTable.schema}.${db.recordTable.table}`;
  if ((error as { code?: string })?.code === '42703') {
    return new UserError(
      `The table ${table} is not MikroORM's migrations table (${message}). Rename that table, or point migrations.tableName in the MikroORM config at another one.`,
    );
  }
  if ((error as { code?: string })?.code === '23505') {
    return new UserError(
      `The migrations table ${table} already records a revision this run recorded too (${message}): another run recorded it at the same moment. ` +
        `This run's transaction was rolled back; run the command again, it starts from what the record holds now.`,
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

async function guarded<T>(db: RecordSource, action: 'read' | 'write', work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    // A lost connection is no fault of the table; the caller says what state it left.
    if (error instanceof UserError || isConnectionLost(error)) throw error;
    throw recordError(db, action, error);
  }
}

/** Names of applied revisions, in the order they were applied; none when the table is absent. */
export async function appliedNames(db: RecordSource, ctx?: Transaction): Promise<string[]> {
  return (await appliedRecords(db, ctx)).map((record) => record.name);
}

/**
 * Creates the record table (as MikroORM's migrator would) when it is missing, adds our
 * checksum column when that is missing, and a unique index on the name when there is none.
 * Each step only when needed: `create ... if not exists` and `add column if not exists` need
 * rights (CREATE on the database or schema, owning the table) even when there is nothing to do,
 * and a user that may only write rows must get by. One statement, so it reads the same in a
 * --sql script.
 */
export async function ensureRecordTable(db: Database, ctx?: Transaction): Promise<void> {
  await guarded(db, 'write', () => connection(db).execute(ensureRecordTableSql(db), [], 'run', ctx));
}

/** The SQL condition that the record table has a unique index on the name alone (as ensureRecordTableSql adds). */
function uniqueNameIndex(record: string): string {
  return `exists (select 1 from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                  where i.indrelid = to_regclass(${literal(record)}) and i.indisunique and i.indnatts = 1
                    and i.indexprs is null and i.indpred is null and a.attname = 'name')`;
}

/**
 * Whether the record refuses a second row of a name: it has its unique index on the name, or it
 * is not there yet and this run's first transaction makes it with one (ensureRecordTableSql).
 */
export async function recordRefusesDuplicates(db: Database): Promise<boolean> {
  const record = qualified(db);
  const [{ refuses }] = await guarded(db, 'read', () =>
    connection(db).execute<{ refuses: boolean }[]>(`select to_regclass(${literal(record)}) is null or ${uniqueNameIndex(record)} as refuses`),
  );
  return refuses;
}

/** ensureRecordTable's statement. */
export function ensureRecordTableSql(db: Database): string {
  const { schema, table } = db.recordTable;
  const record = qualified(db);
  return `do $veloiq$ begin
  -- The transaction-level lock of every migrating transaction (see claimSql): two first runs
  -- never create the table side by side. A creator that takes no lock (MikroORM's own
  -- migrator) may still win the race: then the table is there, which is all we wanted.
  perform pg_advisory_xact_lock(${transactionLockKey(schema, table)});
  if not exists (select 1 from pg_namespace where nspname = ${literal(schema)}) then
    begin
      create schema ${quoteIdentifier(schema)};
    exception when duplicate_schema or unique_violation then null;
    end;
  end if;
  if to_regclass(${literal(record)}) is null then
    begin
      create table ${record} (id serial primary key, name varchar(255), executed_at timestamptz default current_timestamp);
    exception when duplicate_table or unique_violation then null;
    end;
  end if;
  -- Our one addition: a nullable column, which MikroORM's migrator (it inserts names only and
  -- reads rows by name) neither needs nor minds; its rows, and rows from before, have none.
  if not exists (select 1 from information_schema.columns where table_schema = ${literal(schema)} and table_name = ${literal(table)} and column_name = 'checksum') then
    alter table ${record} add column checksum varchar(64);
  end if;
  -- A revision is recorded once, whoever writes the row (this tool, MikroORM's migrator, a
  -- hand-written insert). Rows a lost lock once recorded twice go first: the later copy of a
  -- name says nothing the first does not. A user who does not own the table cannot add the
  -- index; its runs still exclude each other through the locks.
  if not ${uniqueNameIndex(record)} then
    begin
      delete from ${record} later using ${record} earlier where later.name = earlier.name and later.id > earlier.id;
      create unique index on ${record} (name);
    exception when insufficient_privilege then null;
    end;
  end if;
end $veloiq$`;
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
  await guarded(db, 'write', () => connection(db).execute(recordAppliedSql(db, revisions), [], 'run', ctx));
}

/** recordApplied's statement, values written in: it can go in one string with other statements. */
export function recordAppliedSql(db: Database, revisions: Pick<Revision, 'name' | 'path'>[]): string {
  const rows = revisions.map((revision) => `(${literal(revision.name)}, ${literal(fileChecksum(revision.path))})`);
  return `insert into ${qualified(db)} (name, checksum) values ${rows.join(', ')}`;
}

/**
 * The extensions a recorded name may end in, all meaning the revision without it: MikroORM once
 * stored names with `.ts` or `.js`, and its migrator today strips only those two, so a `.cjs`
 * revision it applied (`emit: 'cjs'`) is recorded as `<name>.cjs` (MigrationStorage.getMigrationName).
 */
const RECORDED_EXTENSIONS = ['.ts', '.js', '.cjs'];
const RECORDED_EXTENSION = new RegExp(`\\.(${RECORDED_EXTENSIONS.map((extension) => extension.slice(1)).join('|')})$`);

export interface AppliedRecord {
  name: string;
  /** Null for rows written before checksums existed, or by MikroORM's own migrator. */
  checksum: string | null;
}

/** The record's rows, oldest first; none when the table is absent. Works with or without the checksum column. */
export async function appliedRecords(db: RecordSource, ctx?: Transaction): Promise<AppliedRecord[]> {
  const read = <T>(sql: string, params: unknown[]) => ('orm' in db ? connection(db).execute<T[]>(sql, params, 'all', ctx) : db.query<T>(sql, params));
  const rows = await guarded(db, 'read', async () => {
    const [{ exists }] = await read<{ exists: boolean }>('select to_regclass(?) is not null as exists', [qualified(db)]);
    if (!exists) return [];
    return read<AppliedRecord>(`select r.name, to_jsonb(r) ->> 'checksum' as checksum from ${qualified(db)} r order by r.id`, []);
  });
  return rows.map((row: AppliedRecord) => ({ name: row.name.replace(RECORDED_EXTENSION, ''), checksum: row.checksum ?? null }));
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
export async function driftOf(db: RecordSource, revisions: Revision[] = listRevisions(db.migrationsDir), records?: AppliedRecord[]): Promise<Drift> {
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
  await guarded(db, 'write', () => connection(db).execute(recordRevertedSql(db, names), [], 'run', ctx));
}

/** recordReverted's statement, values written in. */
export function recordRevertedSql(db: Database, names: string[]): string {
  return `delete from ${qualified(db)} where name in (${spellingsOf(names)})`;
}

/** A revision's names as the record may hold them, as a list of literals. */
function spellingsOf(names: string[]): string {
  return names.flatMap((name) => [name, ...RECORDED_EXTENSIONS.map((extension) => `${name}${extension}`)].map(literal)).join(', ');
}

/** The condition that a record row is the revision named by the SQL expression `name`, in any spelling. */
function recordedAs(name: string): string {
  return `name in (${[name, ...RECORDED_EXTENSIONS.map((extension) => `${name} || '${extension}'`)].join(', ')})`;
}

/**
 * claimSql for a revision in a transaction sent with many others in one round trip (commitEach),
 * as plain statements: no PL/pgSQL block to compile for each revision, which costs more than the
 * check. A refusal fails as a plain error, not as CLAIM_REFUSED; the runner answers any failure
 * there by running that revision again the general way, whose claimSql names what another run
 * changed. The record table is there: the run's first transaction made it.
 *
 * Applying, where the record refuses a second row of a name (`refusesDuplicates`, see
 * recordRefusesDuplicates), the revision's own record row is the claim (`recordFirst`): written
 * first, it fails on a row another run wrote, before the revision's statements run. Looking the
 * name up instead costs more than the row: PostgreSQL plans that lookup on a record table it has
 * no statistics for yet (one this run made) as a scan of the whole table, for every revision. A
 * `.cjs` revision is also looked up as `<name>.cjs`, the name MikroORM's migrator records it
 * under, which the index does not see as the same: one name, so the lookup uses the index.
 */
export function quickClaim(
  db: Database,
  revision: Pick<Revision, 'name' | 'path'>,
  direction: 'up' | 'down',
  refusesDuplicates: boolean,
): { sql: string; recordFirst: boolean } {
  const { schema, table } = db.recordTable;
  const lock = `select pg_advisory_xact_lock(${transactionLockKey(schema, table)})`;
  const record = qualified(db);
  const refusal = literal(`${direction === 'up' ? 'recorded' : 'reverted'} ${REFUSED_BY} ${revision.name};`);
  if (direction === 'up' && refusesDuplicates) {
    if (!revision.path.endsWith('.cjs')) return { sql: lock, recordFirst: true };
    const spelled = literal(`${revision.name}.cjs`);
    return { sql: `${lock}, (select ${refusal} from ${record} where name = ${spelled} limit 1)::int`, recordFirst: true };
  }
  const changed =
    direction === 'up'
      ? `select ${refusal} from ${record} where name in (${spellingsOf([revision.name])}) limit 1`
      : `select ${refusal} where not exists (select 1 from ${record} where name in (${spellingsOf([revision.name])}))`;
  return { sql: `${lock}, (${changed})::int`, recordFirst: false };
}

const REFUSED_BY = 'by another run:';

/**
 * Where in `batch` a round trip's failure is quickClaim refusing a revision (-1 when it is not):
 * a duplicate record row's key, or the lookup's text, names it. Only the key and our own text
 * are read, as the rest of a server message may be in any language.
 */
export function refusedByQuickClaim(error: unknown, batch: Pick<Revision, 'name'>[]): number {
  const { message = '', detail = '' } = (error ?? {}) as { message?: string; detail?: string };
  return batch.findIndex(({ name }) => detail.includes(`=(${name})`) || message.includes(`${REFUSED_BY} ${name};`));
}

/** SQLSTATE of claimSql's refusal: a class of our own (PostgreSQL uses none beginning with V). */
export const CLAIM_REFUSED = 'VQ001';

/**
 * The first statement of every migrating transaction on a live database. It takes the
 * transaction-level lock, so no two migrating transactions on this record ever interleave, even
 * when a run lost its session lock; once granted it checks that the revisions this run is about
 * to run are as the run read them: none recorded yet (up), all still recorded (down). Otherwise
 * it fails with CLAIM_REFUSED and the names another run changed. One statement, so it goes to
 * the server with the transaction's first statements: no round trip of its own (quickClaim is
 * the same check for the many transactions of one round trip).
 */
export function claimSql(db: Database, names: string[], direction: 'up' | 'down'): string {
  const { schema, table } = db.recordTable;
  const record = qualified(db);
  const bare = `regexp_replace(name, '${RECORDED_EXTENSION.source}', '')`;
  // By the names' every spelling, so the record's unique index answers (no scan of the record
  // per transaction: with a transaction per revision that would grow with the record).
  const changed =
    direction === 'up'
      ? `if to_regclass(${literal(record)}) is not null then
    select string_agg(distinct ${bare}, ', ') into changed from ${record} where name in (${spellingsOf(names)});
  end if;`
      : `if to_regclass(${literal(record)}) is null then
    changed := ${literal(names.join(', '))};
  else
    select string_agg(n, ', ') into changed from unnest(array[${names.map(literal).join(', ')}]::text[]) n
      where not exists (select 1 from ${record} where ${recordedAs('n')});
  end if;`;
  // A new snapshot for each statement of the block: the check sees what committed while it waited.
  return `do $veloiq$ declare changed text; begin
  perform pg_advisory_xact_lock(${transactionLockKey(schema, table)});
  ${changed}
  if changed is not null then raise exception using errcode = '${CLAIM_REFUSED}', message = changed; end if;
end $veloiq$`;
}
