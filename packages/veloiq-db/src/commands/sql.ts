import { UserError } from '../core/errors';
import { openOffline, SqlScript } from '../core/offline';
import type { Database } from '../core/orm';
import { downgradePlan, requireDowngradeRevision, revertAll, rewriteRecord, stampPlan } from '../core/plans';
import { ensureRecordTable, recordApplied } from '../core/record';
import { assertDirection, upgradePlan } from '../core/revision-graph';
import { listRevisions, positionAt, resolveRevision, standingOf, standingText, type Position } from '../core/revisions';
import { applyRevisions } from '../core/runner';
import { prepare, withEnvironment, type CommandOptions } from './session';

/**
 * The `--sql` side of upgrade, downgrade and stamp, in one place: each runs its online code path
 * on an offline connection (core/offline.ts) and returns the script it wrote.
 */

export type SqlCommand = 'upgrade' | 'downgrade' | 'stamp';

export interface SqlResult {
  kind: 'sql';
  command: SqlCommand;
  /** Where the script assumes the database starts (id, null for base). */
  from: string | null;
  /** Every head the script assumes applied, when it assumes several branches. */
  fromHeads?: string[];
  /** Where the script leaves it. */
  to: string | null;
  /** Every head applied afterwards, when several branches are. */
  toHeads?: string[];
  /** The SQL script: statements end with `;`, comments name each revision. */
  sql: string;
}

export interface SqlOptions extends CommandOptions {
  /** The revision argument; offline it may be a range `from:to`. */
  revision?: string | number;
  transactionPerMigration?: boolean;
  /** stamp: empty the record first. */
  purge?: boolean;
}

export interface OfflineRun {
  db: Database;
  script: SqlScript;
  /** The database as the script assumes it starts. */
  position: Position;
  /** The part of the revision argument after `from:`; undefined when none was given. */
  target: string | undefined;
}

/**
 * Runs `work` offline and returns the script it produced. Offline there is no database to ask
 * where it stands, so, as with Alembic, the revision argument may be a range `from:to`; without
 * one the script starts from `defaultFrom` (base for upgrade and stamp, head for downgrade).
 * `work` returns the names the record holds afterwards.
 */
export async function offlineScript(
  command: SqlCommand,
  options: SqlOptions,
  defaultFrom: 'base' | 'head',
  work: (run: OfflineRun) => Promise<Iterable<string>>,
): Promise<SqlResult> {
  return withEnvironment(options.env, () => writeScript(command, options, defaultFrom, work));
}

async function writeScript(
  command: SqlCommand,
  options: SqlOptions,
  defaultFrom: 'base' | 'head',
  work: (run: OfflineRun) => Promise<Iterable<string>>,
): Promise<SqlResult> {
  const script = new SqlScript();
  const db = await openOffline(prepare(options), script);
  try {
    const revisions = listRevisions(db.migrationsDir);
    const spec = options.revision === undefined ? undefined : String(options.revision).trim();
    const colon = spec?.indexOf(':') ?? -1;
    const fromSpec = colon === -1 ? '' : spec!.slice(0, colon).trim();
    const target = colon === -1 ? spec : spec!.slice(colon + 1).trim() || undefined;
    const all = positionAt(revisions, { revisions, spec: 'heads' });
    const start = defaultFrom === 'head' ? all : positionAt(revisions, { revisions: [], spec: 'base' });
    const position = fromSpec ? positionAt(revisions, resolveRevision(fromSpec, start)) : start;
    const from = standingOf(position);
    script.comment(
      `veloiq db ${command} --sql: offline script, nothing was run.\n` +
        `Assumes the database is at ${standingText(from)}${colon === -1 ? ` (give <from>:<to> to start elsewhere)` : ''}.`,
    );
    const to = standingOf(position, await work({ db, script, position, target }));
    if (script.statements === 0) script.comment(`Nothing to run: the database would already be at ${standingText(to)}.`);
    return {
      kind: 'sql',
      command,
      from: from.current,
      ...(from.heads ? { fromHeads: from.heads } : {}),
      to: to.current,
      ...(to.heads ? { toHeads: to.heads } : {}),
      sql: script.toString(),
    };
  } finally {
    await db.close();
  }
}

/**
 * `upgrade --sql`: the script `upgrade` would run (record table, each revision's `up()`, the
 * statements that record them), in the same transactions: it is applyRevisions itself, on a
 * connection that writes a script instead of connecting. It starts from base unless the
 * revision is a range `from:to`, as Alembic's offline mode does.
 */
export function upgradeSql(options: SqlOptions): Promise<SqlResult> {
  return offlineScript('upgrade', options, 'base', async ({ db, script, position, target }) => {
    assertDirection('upgrade', target ?? 'head');
    const to = resolveRevision(target ?? 'head', position);
    const pending = upgradePlan(position.graph, position.appliedNames, to);
    if (target !== undefined && target !== 'head' && pending.length === 0) {
      throw new UserError(
        `Revision ${to.revisions.map((r) => r.id).join(', ') || 'base'} is not after the script's starting point (${standingText(standingOf(position))}). ` +
          `Give a later revision, or a range such as 'base:${target}'.`,
      );
    }
    await applyRevisions(db, pending, 'up', {
      perMigration: options.transactionPerMigration,
      prepare: async (ctx) => {
        script.comment('Record table (created when missing)');
        await ensureRecordTable(db, ctx);
      },
      announce: (revision, transactional) =>
        script.comment(`Revision ${revision.id}: ${revision.description}${transactional ? '' : ' (not transactional: runs outside a transaction)'}`),
      record: async (done, ctx) => {
        script.comment(`Record: add ${done.map((r) => r.id).join(', ')}`);
        await recordApplied(db, done, ctx);
      },
    });
    return [...position.appliedNames, ...pending.map((r) => r.name)];
  });
}

/** `downgrade --sql`: from head unless given `from:to`; the script reverts in one transaction. */
export function downgradeSql(options: SqlOptions): Promise<SqlResult> {
  return offlineScript('downgrade', options, 'head', async ({ db, script, position, target }) => {
    const { revert, after } = downgradePlan(position, requireDowngradeRevision(target));
    if (revert.length > 0) {
      await db.orm.em.getConnection().transactional((ctx) => revertAll(db, revert, ctx, (text) => script.comment(text)));
    }
    return after;
  });
}

/** `stamp --sql`: the statements that rewrite the record, from base unless given `from:to`. */
export function stampSql(options: SqlOptions): Promise<SqlResult> {
  return offlineScript('stamp', options, 'base', async ({ db, script, position, target }) => {
    const change = stampPlan(position, target ?? 'head', options.purge);
    if (change.record.length + change.remove.length > 0) {
      await db.orm.em.getConnection().transactional((ctx) => rewriteRecord(db, change, ctx, (text) => script.comment(text)));
    }
    return change.after;
  });
}
