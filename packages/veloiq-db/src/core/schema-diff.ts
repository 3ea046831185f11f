import type { MikroORM } from '@mikro-orm/core';
import { lossesOf, type DataLoss } from './data-loss';
import { recordTableOf } from './orm';
import { runnableReverts } from './revert';
import { SameTypeAwareComparator } from './same-type';
import { type DatabaseSchema, type SchemaDifference, type SqlSchemaGenerator } from '@mikro-orm/postgresql';

/** One change between the database and the entities, in the words `migrate` and `check` print. */
export interface SchemaChange {
  action: 'added' | 'dropped' | 'altered' | 'renamed';
  object: 'schema' | 'enum' | 'table' | 'column' | 'index' | 'foreign key' | 'check';
  /** `table`, `table.column`, `table.index`; a rename names the old one. */
  name: string;
  /** For a rename: the new name. */
  to?: string;
}

export interface SchemaDiff {
  /** Statements that bring the database to the entities, one per entry ('' separates groups). */
  up: string[];
  /** Statements that undo them, written to run on tables that hold rows (see revert.ts). */
  down: string[];
  changes: SchemaChange[];
  /** The changes that lose data or break readers of an old name (see data-loss.ts). */
  losses: DataLoss[];
}

/** `public.product` -> `product`: the default schema goes without saying. */
function tableName(name: string, schema?: string): string {
  const qualified = schema && !name.includes('.') ? `${schema}.${name}` : name;
  return qualified.replace(/^public\./, '');
}

/** What changed, table by table, from MikroORM's own comparison. */
export function changesOf(diff: SchemaDifference): SchemaChange[] {
  const changes: SchemaChange[] = [];
  for (const name of diff.newNamespaces) changes.push({ action: 'added', object: 'schema', name });
  for (const e of diff.newNativeEnums) changes.push({ action: 'added', object: 'enum', name: tableName(e.name, e.schema) });
  for (const t of Object.values(diff.newTables)) changes.push({ action: 'added', object: 'table', name: tableName(t.name, t.schema) });
  for (const t of Object.values(diff.removedTables)) changes.push({ action: 'dropped', object: 'table', name: tableName(t.name, t.schema) });
  for (const t of Object.values(diff.changedTables)) {
    const table = tableName(t.name);
    const at = (name: string) => `${table}.${name}`;
    for (const c of Object.values(t.addedColumns)) changes.push({ action: 'added', object: 'column', name: at(c.name) });
    for (const [from, c] of Object.entries(t.renamedColumns)) changes.push({ action: 'renamed', object: 'column', name: at(from), to: c.name });
    for (const c of Object.values(t.changedColumns)) changes.push({ action: 'altered', object: 'column', name: at(c.column.name) });
    for (const c of Object.values(t.removedColumns)) changes.push({ action: 'dropped', object: 'column', name: at(c.name) });
    for (const i of Object.values(t.addedIndexes)) changes.push({ action: 'added', object: 'index', name: at(i.keyName) });
    for (const [from, i] of Object.entries(t.renamedIndexes)) changes.push({ action: 'renamed', object: 'index', name: at(from), to: i.keyName });
    for (const i of Object.values(t.changedIndexes)) changes.push({ action: 'altered', object: 'index', name: at(i.keyName) });
    for (const i of Object.values(t.removedIndexes)) changes.push({ action: 'dropped', object: 'index', name: at(i.keyName) });
    for (const f of Object.values(t.addedForeignKeys)) changes.push({ action: 'added', object: 'foreign key', name: at(f.constraintName) });
    for (const f of Object.values(t.changedForeignKeys)) changes.push({ action: 'altered', object: 'foreign key', name: at(f.constraintName) });
    for (const f of Object.values(t.removedForeignKeys)) changes.push({ action: 'dropped', object: 'foreign key', name: at(f.constraintName) });
    for (const c of Object.values(t.addedChecks)) changes.push({ action: 'added', object: 'check', name: at(c.name) });
    for (const c of Object.values(t.changedChecks)) changes.push({ action: 'altered', object: 'check', name: at(c.name) });
    for (const c of Object.values(t.removedChecks)) changes.push({ action: 'dropped', object: 'check', name: at(c.name) });
  }
  for (const e of diff.removedNativeEnums) changes.push({ action: 'dropped', object: 'enum', name: tableName(e.name, e.schema) });
  return changes;
}

/**
 * Splits the generator's SQL into statements the way MikroORM's migrator does (semicolon and
 * newline, never inside a string literal); blank entries keep its grouping.
 */
export function splitStatements(sql: string): string[] {
  const result: string[] = [];
  let buffer = '';
  for (const chunk of sql.split(/;\n/)) {
    buffer += (buffer ? ';\n' : '') + chunk;
    if (buffer.split(`'`).length % 2 === 0) continue; // inside a string literal
    if (buffer.startsWith('\n') && result.length > 0) result.push('');
    const trimmed = buffer.trim();
    if (trimmed) result.push(trimmed.endsWith(';') ? trimmed : `${trimmed};`);
    buffer = '';
  }
  while (result.at(-1) === '') result.pop();
  return result;
}

/**
 * Compares the entities the ORM knows with the schema of the database it is connected to, as
 * MikroORM's migrator does without a snapshot (`getUpdateSchemaMigrationSQL`), and also returns
 * the structured differences, so users read what changed before they read SQL. The record
 * table is never part of the comparison.
 */
export async function diffEntities(orm: MikroORM): Promise<SchemaDiff> {
  const generator = orm.getSchemaGenerator() as unknown as SqlSchemaGenerator;
  const migrations = orm.config.get('migrations');
  const options = { wrap: false, safe: migrations.safe ?? false, dropTables: migrations.dropTables ?? true };
  // The generator's own preparation (introspect, prune to the entities' schemas); it is private
  // in the typings, but it is the one place that knows which tables to leave out.
  const { fromSchema, toSchema } = await (
    generator as unknown as { prepareSchemaForComparison(o: typeof options): Promise<{ fromSchema: DatabaseSchema; toSchema: DatabaseSchema }> }
  ).prepareSchemaForComparison(options);
  // Not MikroORM's plain comparator: it reports `decimal` against the database's `numeric` (and
  // other spellings of one type) as a type change, and every migrate wrote that no-op again.
  const comparator = new SameTypeAwareComparator(orm.em.getPlatform() as never);
  const diffUp = comparator.compare(fromSchema, toSchema);
  const diffDown = comparator.compare(toSchema, fromSchema, diffUp);
  // The schema that holds the record table is never dropped: for an app whose tables live in
  // `schema: 'app'`, its first revision's down() would drop it while the record is in it.
  const { schema: recordSchema } = recordTableOf(orm.config.getAll());
  for (const diff of [diffUp, diffDown]) diff.removedNamespaces.delete(recordSchema);
  return {
    up: splitStatements(await generator.diffToSQL(diffUp, options)),
    down: runnableReverts(splitStatements(await generator.diffToSQL(diffDown, options))),
    changes: changesOf(diffUp).filter((change) => !(options.safe && change.action === 'dropped')),
    losses: lossesOf(diffUp, tableName).filter((loss) => !(options.safe && loss.rule.startsWith('ban-drop'))),
  };
}

/** A one-line description of a change: `added column product.sku`. */
export function describeChange(change: SchemaChange): string {
  return `${change.action} ${change.object} ${change.name}${change.to ? ` to ${change.to}` : ''}`;
}

/** `1 table added; 2 columns added, 1 column dropped`: the short summary of a change set. */
export function summarize(changes: SchemaChange[]): string {
  const count = (object: SchemaChange['object'], action: SchemaChange['action']) => changes.filter((c) => c.object === object && c.action === action).length;
  const tableOf = (c: SchemaChange) => c.name.slice(0, c.name.lastIndexOf('.'));
  const altered = new Set(changes.filter((c) => c.object !== 'table' && c.object !== 'schema' && c.object !== 'enum').map(tableOf));
  const parts: string[] = [];
  const tables = [
    ['added', count('table', 'added')],
    ['altered', altered.size],
    ['dropped', count('table', 'dropped')],
  ] as const;
  const tableText = tables.filter(([, n]) => n > 0).map(([what, n]) => `${plural(n, 'table')} ${what}`);
  if (tableText.length) parts.push(tableText.join(', '));
  const columns = (['added', 'altered', 'renamed', 'dropped'] as const)
    .map((action) => [action, count('column', action)] as const)
    .filter(([, n]) => n > 0)
    .map(([action, n]) => `${plural(n, 'column')} ${action}`);
  if (columns.length) parts.push(columns.join(', '));
  const indexes = (['added', 'altered', 'renamed', 'dropped'] as const)
    .map((action) => [action, count('index', action)] as const)
    .filter(([, n]) => n > 0)
    .map(([action, n]) => `${n} ${n === 1 ? 'index' : 'indexes'} ${action}`);
  if (indexes.length) parts.push(indexes.join(', '));
  return parts.join('; ') || plural(changes.length, 'change');
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
