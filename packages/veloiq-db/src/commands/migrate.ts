import { join } from 'node:path';
import { assertRegistryCurrent } from '../core/codegen';
import { UserError } from '../core/errors';
import { acquireLock, parseLockTimeout } from '../core/lock';
import { loadConfig, migrationsDirOf, openDatabase } from '../core/orm';
import { shownPath } from '../core/paths';
import { assertWritableFolder, descriptionLine, renderRevision, writeRevisionFile } from '../core/revision-file';
import { writeHeadFile } from '../core/head-file';
import { ancestors, multipleHeadsError } from '../core/revision-graph';
import { nextRevisionId, resolveRevision, slugOf, type Position, type Revision } from '../core/revisions';
import { diffEntities, type SchemaChange } from '../core/schema-diff';
import { notifier, prepare, readPosition, type CommandOptions } from '../core/session';

export interface MigrateOptions extends CommandOptions {
  /** What the revision does: its description in `history`, and the slug of its file name. */
  message?: string | number | boolean;
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
}

/** The message, or the one-line error for a missing or blank one (Nx passes a bare `-m` as true). */
export function requireMessage(message: MigrateOptions['message'], command: 'migrate' | 'merge' = 'migrate'): string {
  const text = typeof message === 'string' || typeof message === 'number' ? String(message) : '';
  if (!text.trim()) {
    throw new UserError(`A message is required: veloiq db ${command} -m "${command === 'merge' ? 'merge heads' : 'describe the change'}" (it becomes the revision's description).`);
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
  if (target.revisions.length > 1) throw new UserError(`--head '${head}' names ${target.revisions.length} revisions; a new revision has one parent. Name one revision (or run 'veloiq db merge').`);
  return target.revisions;
}

/** The branch label, checked: a word not already used (labels name one branch each). */
function labelsOption(label: MigrateOptions['branchLabel'], position: Position): string[] {
  if (label === undefined) return [];
  const text = String(label).trim();
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(text) || ['head', 'heads', 'base'].includes(text)) {
    throw new UserError(`Invalid branch label '${text}': use a word of letters, digits, '_' or '-' starting with a letter (not head, heads or base). Nothing was written.`);
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
  const project = prepare(options);
  const show = (path: string) => shownPath(path, options.projectRoot, options.cwd);
  await assertRegistryCurrent(project, show);
  const migrationsDir = migrationsDirOf(await loadConfig(project), project);
  assertWritableFolder(migrationsDir, show(migrationsDir));
  const timeoutSeconds = parseLockTimeout(options.lockTimeout);

  const db = await openDatabase(project);
  // Under the migration lock, so an upgrade running elsewhere is never diffed half-applied.
  const lock = await acquireLock(db, { timeoutSeconds, command: 'migrate', notify: notifier(options) }).catch(async (error) => {
    await db.close();
    throw error;
  });
  try {
    const position = await readPosition(db);
    const parents = parentsOf(position, options.head);
    const labels = labelsOption(options.branchLabel, position);
    const below = ancestors(position.graph, parents.map((r) => r.id));
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
    if (diff.up.length === 0) return { kind: 'migrate', revision: null, changes: [] };

    const id = nextRevisionId(position.revisions);
    const path = join(db.migrationsDir, `${id}_${slugOf(message)}.ts`);
    const parentIds = parents.map((r) => r.id);
    writeRevisionFile(path, renderRevision({ id, message, up: diff.up, down: diff.down, parents: parentIds, labels }), show(db.migrationsDir));
    writeHeadFile(db.migrationsDir, [...position.graph.heads.map((r) => r.id).filter((h) => !parentIds.includes(h)), id]);
    return {
      kind: 'migrate',
      revision: { id, description: descriptionLine(message), path: show(path), parents: parentIds, labels },
      changes: diff.changes,
    };
  } finally {
    await lock.release();
    await db.close();
  }
}
