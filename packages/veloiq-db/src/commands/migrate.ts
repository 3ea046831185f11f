import { join } from 'node:path';
import { assertConfigSeesEntities, assertRegistryCurrent } from '../core/codegen';
import { UserError } from '../core/errors';
import { migrationOptionNotices, revisionLanguage } from '../core/migration-options';
import { loadConfig, migrationsDirOf, type Database } from '../core/orm';
import { shownPath } from '../core/paths';
import { assertWritableFolder, headerLine, renderRevision, writeRevisionFile } from '../core/revision-file';
import { nextRevisionId, slugOf } from '../core/revisions';
import { diffEntities, type SchemaChange } from '../core/schema-diff';
import { notifier, prepare, readPosition, withDatabase, withEnvironment, type CommandOptions } from './session';
import type { DataLoss } from '../core/data-loss';
import type { LintFinding } from '../core/lint-findings';
import { reviewRevision } from './migrate-review';
import { splitConcurrentIndexes } from '../core/concurrent-indexes';

export interface MigrateOptions extends CommandOptions {
  /** What the revision does: its description in `history`, and the slug of its file name. */
  message?: string | number | boolean;
  /** Build indexes on existing tables concurrently, in a revision of their own that runs outside a transaction. */
  concurrentIndexes?: boolean;
}

export interface MigrateResult {
  kind: 'migrate';
  /** The revision written; null when the entities match the database (nothing written). */
  revision: { id: string; description: string; path: string } | null;
  changes: SchemaChange[];
  /** What the revision loses (dropped tables and columns with their row counts, narrowings, renames). */
  losses: DataLoss[];
  /** squawk's findings on the revision, as `veloiq db lint` reports them. */
  findings: LintFinding[];
  /** With `concurrentIndexes`: the revision after it that builds indexes concurrently, outside a transaction. */
  indexRevision?: { id: string; description: string; path: string };
}

/** The message, or the one-line error for a missing or blank one (Nx passes a bare `-m` as true). */
export function requireMessage(message: MigrateOptions['message']): string {
  const text = typeof message === 'string' || typeof message === 'number' ? String(message) : '';
  if (!text.trim()) {
    throw new UserError(`A message is required: veloiq db migrate -m "describe the change" (it becomes the revision's description).`);
  }
  return text;
}

/**
 * Compares the entities with the database at head and writes one revision with the SQL that
 * goes from one to the other (`up`) and back (`down`), as `alembic revision --autogenerate`.
 * The database must be at head, else the diff would repeat what pending revisions already do.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const message = requireMessage(options.message);
  return withEnvironment(options.env, async () => {
    const project = prepare(options);
    const show = (path: string) => shownPath(path, options.projectRoot, options.cwd);
    const found = await assertRegistryCurrent(project, show);
    const config = await loadConfig(project);
    const migrationsDir = migrationsDirOf(config, project);
    for (const line of migrationOptionNotices(config)) notifier(options)(line);
    assertWritableFolder(migrationsDir, show(migrationsDir));
    // Under the migration lock, so an upgrade running elsewhere is never diffed half-applied.
    return withDatabase(
      options,
      (db) => {
        assertConfigSeesEntities(db.orm, found, project, show);
        return migrateAtHead(db, message, options, revisionLanguage(config), show);
      },
      { lock: 'migrate', project, config },
    );
  });
}

/** Diffs the entities against the database (which must be at head) and writes the revision(s). */
async function migrateAtHead(
  db: Database,
  message: string,
  options: MigrateOptions,
  language: ReturnType<typeof revisionLanguage>,
  show: (path: string) => string,
): Promise<MigrateResult> {
  const position = await readPosition(db);
  const pending = position.revisions.filter((r) => !position.appliedNames.has(r.name));
  if (pending.length > 0) {
    const ids = pending.map((r) => r.id).join(', ');
    throw new UserError(
      `The database is not at head: ${pending.length} revision${pending.length === 1 ? ' is' : 's are'} pending (${ids}). Run 'veloiq db upgrade' first, then migrate again.`,
    );
  }
  const known = new Set(position.revisions.map((r) => r.name));
  const unknown = [...position.appliedNames].filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new UserError(
      `The database has revision ${unknown[0]} applied, but no file in ${show(db.migrationsDir)} holds it. Restore that file (or run 'veloiq db stamp') before migrating.`,
    );
  }

  const diff = await diffEntities(db.orm);
  if (diff.up.length === 0) return { kind: 'migrate', revision: null, changes: [], losses: [], findings: [] };

  const split = options.concurrentIndexes ? splitConcurrentIndexes(diff) : undefined;
  const indexesOnly = split !== undefined && split.concurrent.up.length > 0 && split.main.up.length === 0;
  const main = !split ? diff : indexesOnly ? { ...diff, ...split.concurrent } : { ...diff, ...split.main };
  const written = [...position.revisions];
  const write = async (text: string, statements: typeof diff, transactional: boolean) => {
    const id = nextRevisionId(written);
    const path = join(db.migrationsDir, `${id}_${slugOf(text)}.${language}`);
    written.push({ id, name: `${id}_${slugOf(text)}`, description: text, path });
    const review = await reviewRevision(db, statements, { id, path }, show, transactional);
    const source = renderRevision({ id, message: text, up: statements.up, down: statements.down, acknowledgements: review.acknowledgements, transactional }, language);
    writeRevisionFile(path, source, show(db.migrationsDir));
    return { revision: { id, description: headerLine(text).replace(/\*\\\//g, '*/'), path: show(path) }, review };
  };
  const first = await write(message, main, !indexesOnly);
  const second =
    split && !indexesOnly && split.concurrent.up.length > 0
      ? await write(`${message} (concurrent indexes)`, { ...diff, ...split.concurrent, losses: [] }, false)
      : undefined;
  return {
    kind: 'migrate',
    revision: first.revision,
    changes: diff.changes,
    losses: first.review.losses,
    findings: [...first.review.findings, ...(second?.review.findings ?? [])],
    ...(second ? { indexRevision: second.revision } : {}),
  };
}
