import { join } from 'node:path';
import { assertConfigSeesEntities, assertRegistryCurrent } from '../core/codegen';
import { UserError } from '../core/errors';
import { esmPackageNotice, migrationOptionNotices, revisionLanguage } from '../core/migration-options';
import { loadConfig, migrationsDirOf, type Database } from '../core/orm';
import { shownPath } from '../core/paths';
import { assertWritableFolder, descriptionLine, renderRevision, writeRevisionFile } from '../core/revision-file';
import { writeHeadFile } from '../core/head-file';
import { ancestors, multipleHeadsError } from '../core/revision-graph';
import { nextRevisionId, resolveRevision, slugOf, type Position, type Revision } from '../core/revisions';
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
  /** The parent of the new revision (default: the single head): a revision word, or base for a new root. */
  head?: string | number;
  /** A branch label for the new revision, so `<label>@head` names its branch. */
  branchLabel?: string;
}

export interface MigrateResult {
  kind: 'migrate';
  /** The revision written; null when the entities match the database (nothing written). */
  revision: { id: string; description: string; path: string; parents: string[]; labels: string[] } | null;
  changes: SchemaChange[];
  /** What the revision loses (dropped tables and columns with their row counts, narrowings, renames). */
  losses: DataLoss[];
  /** squawk's findings on the revision, as `veloiq db lint` reports them. */
  findings: LintFinding[];
  /** With `concurrentIndexes`: the revision after it that builds indexes concurrently, outside a transaction. */
  indexRevision?: { id: string; description: string; path: string };
}

/** The message, or the one-line error for a missing or blank one (Nx passes a bare `-m` as true). */
export function requireMessage(message: MigrateOptions['message'], command: 'migrate' | 'merge' = 'migrate'): string {
  const text = typeof message === 'string' || typeof message === 'number' ? String(message) : '';
  if (!text.trim()) {
    throw new UserError(
      `A message is required: veloiq db ${command} -m "${command === 'merge' ? 'merge heads' : 'describe the change'}" (it becomes the revision's description).`,
    );
  }
  return text;
}

/** The new revision's parents: the given revision (or none for base), else the single head. */
function parentsOf(position: Position, head: MigrateOptions['head']): Revision[] {
  if (head === undefined) {
    if (position.graph.heads.length > 1) throw multipleHeadsError(position.graph, 'head');
    return position.graph.heads;
  }
  const target = resolveRevision(head, position);
  if (target.revisions.length > 1)
    throw new UserError(
      `--head '${head}' names ${target.revisions.length} revisions; a new revision has one parent. Name one revision (or run 'veloiq db merge').`,
    );
  return target.revisions;
}

/** The branch label, checked: a word not already used (labels name one branch each). */
function labelsOption(label: MigrateOptions['branchLabel'], position: Position): string[] {
  if (label === undefined) return [];
  const text = String(label).trim();
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(text) || ['head', 'heads', 'base'].includes(text)) {
    throw new UserError(
      `Invalid branch label '${text}': use a word of letters, digits, '_' or '-' starting with a letter (not head, heads or base). Nothing was written.`,
    );
  }
  if (position.graph.labelMembers.has(text)) throw new UserError(`The branch label '${text}' is already used. Pick another one; nothing was written.`);
  return [text];
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
    const language = revisionLanguage(config);
    const esmNotice = esmPackageNotice(migrationsDir, language, show);
    for (const line of [...migrationOptionNotices(config), ...(esmNotice ? [esmNotice] : [])]) notifier(options)(line);
    assertWritableFolder(migrationsDir, show(migrationsDir));
    // Under the migration lock, so an upgrade running elsewhere is never diffed half-applied.
    return withDatabase(
      options,
      (db) => {
        assertConfigSeesEntities(db.orm, found, project, show);
        return migrateAtHead(db, message, options, language, show);
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
  const parents = parentsOf(position, options.head);
  const labels = labelsOption(options.branchLabel, position);
  const below = ancestors(
    position.graph,
    parents.map((r) => r.id),
  );
  const pending = position.revisions.filter((r) => below.has(r.id) && !position.appliedNames.has(r.name));
  if (pending.length > 0) {
    const ids = pending.map((r) => r.id).join(', ');
    throw new UserError(
      `The database is not at ${options.head === undefined ? 'head' : parents.map((r) => r.id).join(', ')}: ${pending.length} revision${pending.length === 1 ? ' is' : 's are'} pending (${ids}). Run 'veloiq db upgrade${options.head === undefined ? '' : ` ${parents[0].id}`}' first, then migrate again.`,
    );
  }
  const beside = position.heads.filter((r) => !below.has(r.id));
  if (beside.length > 0) {
    throw new UserError(
      `The database has ${beside.map((r) => r.id).join(', ')} applied, which ${parents.map((r) => r.id).join(', ') || 'base'} does not include, so a diff would miss ${beside.length === 1 ? 'its' : 'their'} changes. Migrate against a database at ${parents[0]?.id ?? 'base'} ('veloiq db downgrade', or another DATABASE_URL).`,
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
  const parentIds = parents.map((r) => r.id);
  // The concurrent-index revision, when there is one, follows the main one.
  let nextParents = parentIds;
  const write = async (text: string, statements: typeof diff, transactional: boolean, revisionLabels: string[]) => {
    const id = nextRevisionId(written);
    const name = `${id}_${slugOf(text)}`;
    const path = join(db.migrationsDir, `${name}.${language}`);
    const revisionParents = nextParents;
    written.push({ id, name, description: text, path, parents: revisionParents, labels: revisionLabels });
    const review = await reviewRevision(db, statements, { id, path }, show, transactional);
    const source = renderRevision(
      {
        id,
        message: text,
        up: statements.up,
        down: statements.down,
        acknowledgements: review.acknowledgements,
        transactional,
        parents: revisionParents,
        labels: revisionLabels,
      },
      language,
    );
    writeRevisionFile(path, source, show(db.migrationsDir));
    nextParents = [id];
    return { revision: { id, description: descriptionLine(text), path: show(path), parents: revisionParents, labels: revisionLabels }, review };
  };
  const first = await write(message, main, !indexesOnly, labels);
  const second =
    split && !indexesOnly && split.concurrent.up.length > 0
      ? await write(`${message} (concurrent indexes)`, { ...diff, ...split.concurrent, losses: [] }, false, [])
      : undefined;
  writeHeadFile(db.migrationsDir, [...position.graph.heads.map((r) => r.id).filter((h) => !parentIds.includes(h)), (second ?? first).revision.id]);
  return {
    kind: 'migrate',
    revision: first.revision,
    changes: diff.changes,
    losses: first.review.losses,
    findings: [...first.review.findings, ...(second?.review.findings ?? [])],
    ...(second ? { indexRevision: second.revision } : {}),
  };
}
