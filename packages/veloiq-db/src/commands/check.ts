import { assertConfigSeesEntities, assertRegistryCurrent } from '../core/codegen';
import { UserError } from '../core/errors';
import { loadConfig, migrationsDirOf, type Database } from '../core/orm';
import { shownPath } from '../core/paths';
import { HEAD_FILE, readHeadFile } from '../core/head-file';
import { buildGraph } from '../core/revision-graph';
import { listRevisions, type Revision } from '../core/revisions';
import { applyRevisions } from '../core/runner';
import { withScratchDatabase } from '../core/scratch';
import { describeChange, diffEntities, type SchemaChange } from '../core/schema-diff';
import { prepare, withDatabase, withEnvironment, type CommandOptions } from './session';

export interface CheckResult {
  kind: 'check';
  /** True when the revisions hold every entity change. */
  ok: boolean;
  /** Revisions replayed. */
  revisions: number;
  /** What the entities have that the revisions do not (empty when ok). */
  changes: SchemaChange[];
  /** The statements a new revision would need (empty when ok). */
  sql: string[];
  /** The migrations folder, as shown to the user. */
  migrationsDir: string;
  /** The heads of the revision graph; more than one fails the check (run 'veloiq db merge'). */
  heads: string[];
  /** What migrations/head.txt names; null when the folder has none (yet). */
  headFile: string[] | null;
}

/**
 * For CI: do the revision files hold every entity change? Replays every revision from base on
 * a temporary database (created beside the configured one, or on the embedded PostgreSQL, and
 * dropped afterwards) and compares the result with the entities. The project's database and
 * what is applied to it play no part in that answer, which depends only on the project's files:
 * so the Nx target can be cached. What a live database ran is `status`'s question.
 */
export function check(options: CommandOptions): Promise<CheckResult> {
  return withEnvironment(options.env, async () => {
    const project = prepare(options);
    const show = (path: string) => shownPath(path, options.projectRoot, options.cwd);
    // First, as migrate does: the config then imports the entity modules this just loaded
    // (loading them afresh after the config would run every entity file a second time).
    const found = await assertRegistryCurrent(project, show);
    const config = await loadConfig(project);
    const folder = migrationsDirOf(config, project);
    const graph = buildGraph(listRevisions(folder));
    const heads = graph.heads.map((r) => r.id);
    const headFile = readHeadFile(folder) ?? null;
    return withDatabase(
      options,
      async (db) => {
        assertConfigSeesEntities(db.orm, found, project, show);
        return { ...(await replay(db, graph.revisions)), migrationsDir: show(db.migrationsDir), heads, headFile };
      },
      { project, config },
    );
  });
}

/** Replays the revisions (parents first) on a scratch database beside `db` and diffs the entities against it. */
async function replay(db: Database, revisions: Revision[]): Promise<Omit<CheckResult, 'migrationsDir' | 'heads' | 'headFile'>> {
  const diff = await withScratchDatabase(db, async (scratch) => {
    if (revisions.length > 0) {
      // As upgrade runs them: a revision that declares isTransactional() false runs on its own.
      await applyRevisions(scratch, revisions, 'up', { record: async () => undefined });
    }
    return diffEntities(scratch.orm);
  });
  const ok = diff.up.length === 0;
  return {
    kind: 'check',
    ok,
    revisions: revisions.length,
    changes: ok ? [] : diff.changes,
    sql: ok ? [] : diff.up.filter(Boolean),
  };
}

/** The failure a CI run shows: one line naming what differs and the fix. */
export function checkFailure(result: CheckResult): UserError {
  const what = result.changes.length > 0 ? result.changes.map(describeChange).join(', ') : `a change that needs: ${result.sql[0]}`;
  return new UserError(
    `The entities have changes that no revision in ${result.migrationsDir} holds: ${what}. Create one: veloiq db migrate -m "describe the change".`,
  );
}

/**
 * The failure when two branches each added a revision: several heads, or a head.txt that does
 * not name the graph's heads (a merge conflict resolved by keeping one side, or an edit by hand).
 */
export function headsFailure({ heads, headFile, migrationsDir }: Pick<CheckResult, 'heads' | 'headFile' | 'migrationsDir'>): UserError | undefined {
  if (heads.length > 1) {
    return new UserError(
      `The revisions in ${migrationsDir} have ${heads.length} heads (${heads.join(', ')}): two branches each added a revision. Join them: veloiq db merge -m "merge heads", and commit the merge revision.`,
    );
  }
  if (headFile && headFile.join(' ') !== heads.join(' ')) {
    return new UserError(
      `${migrationsDir}/${HEAD_FILE} names ${headFile.join(' ') || 'nothing'}, but the head revision is ${heads.join(', ') || 'none'}. After a git conflict in it, keep both revision files and run 'veloiq db merge -m "merge heads"' (it rewrites ${HEAD_FILE}).`,
    );
  }
  return undefined;
}

/** `check`, failing (non-zero exit under Nx) when the entities have a change no revision holds, or the folder has several heads. */
export async function checkOrFail(options: CommandOptions): Promise<CheckResult> {
  const result = await check(options);
  const split = headsFailure(result);
  if (split) throw split;
  if (!result.ok) throw checkFailure(result);
  return result;
}
