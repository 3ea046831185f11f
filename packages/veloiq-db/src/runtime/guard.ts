import type { Database } from '../core/orm';
import { appliedNames } from '../core/record';
import { listRevisions, positionOf } from '../core/revisions';
import { qualifiedName } from '../core/sql-text';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

async function tableExists(db: Database, schema: string, table: string): Promise<boolean> {
  const [{ exists }] = await db.orm.em
    .getConnection()
    .execute<{ exists: boolean }[]>('select to_regclass(?) is not null as exists', [qualifiedName(schema, table)]);
  return exists;
}

/** Whether migrations own this database's schema: its record lists an applied revision. */
export async function managedByMigrations(db: Database): Promise<boolean> {
  if (!(await tableExists(db, db.recordTable.schema, db.recordTable.table))) return false;
  return (await appliedNames(db)).length > 0;
}

/** The entity tables that exist in the database, by name. */
async function existingEntityTables(db: Database): Promise<string[]> {
  const metas = Object.values(db.orm.getMetadata().getAll()).filter((meta) => !meta.embeddable && !meta.virtual && meta.tableName);
  const existing: string[] = [];
  for (const meta of metas) {
    const schema = meta.schema && meta.schema !== '*' ? meta.schema : (db.orm.config.get('schema') ?? 'public');
    if (await tableExists(db, schema, meta.tableName)) existing.push(meta.tableName);
  }
  return existing;
}

/**
 * Why the database is not ready for an app whose schema migrations own, in one sentence that
 * names the fix; undefined when it is at head (or the project has no revisions at all).
 */
export async function staleSchemaProblem(db: Database): Promise<string | undefined> {
  const revisions = listRevisions(db.migrationsDir);
  if (revisions.length === 0) return undefined;
  // Several heads (branches not merged yet): the database is ready when it has every one, as an
  // Alembic app compares its current heads with the script's; the commands then name them all.
  const graphHeads = positionOf(revisions, []).graph.heads.map((r) => r.id);
  const several = graphHeads.length > 1;
  const head = several ? `heads ${graphHeads.join(', ')}` : graphHeads[0];
  const upgrade = `veloiq db upgrade${several ? ' heads' : ''}`;
  if (!(await tableExists(db, db.recordTable.schema, db.recordTable.table))) {
    const tables = await existingEntityTables(db);
    if (tables.length > 0) {
      return (
        `the database has tables (${tables.join(', ')}) but no migration record, so it predates migrations. ` +
        `Run 'veloiq db stamp${several ? ' heads' : ''}' to mark it as being at ${several ? head : `head (${head})`} if its schema matches the migrations; '${upgrade}' takes over from there.`
      );
    }
    return (
      `the database has no migration record: none of its ${plural(revisions.length, 'revision')} is applied. ` +
      `Run '${upgrade}' to build its schema (or 'veloiq db stamp${several ? ' heads' : ''}' if its tables were created before migrations).`
    );
  }
  const position = positionOf(revisions, await appliedNames(db));
  const pending = revisions.filter((revision) => !position.appliedNames.has(revision.name));
  if (pending.length === 0) return undefined;
  const current = position.heads.map((r) => r.id).join(', ') || 'base';
  return (
    `the database is ${plural(pending.length, 'revision')} behind its migrations (current: ${current}, ${several ? head : `head: ${head}`}). ` +
    `Run '${upgrade}' to apply ${pending.length === 1 ? 'it' : 'them'}.`
  );
}
