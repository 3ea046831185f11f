import { UserError } from '../core/errors';
import { recordApplied, ensureRecordTable } from '../core/record';
import { resolveRevision, type Revision } from '../core/revisions';
import { applyRevisions } from '../core/runner';
import { notifier, withDatabase, readPosition, type CommandOptions } from './session';
import { upgradeSql, type SqlResult } from './sql';

export interface UpgradeOptions extends CommandOptions {
  /** head (default), +N, a revision id or a unique prefix of one. */
  revision?: string | number;
  /** Print the SQL instead of running it (offline; connects to nothing): see sql.ts. */
  sql?: boolean;
  /** Commit after each revision instead of once for the whole run. */
  transactionPerMigration?: boolean;
}

export interface UpgradeResult {
  kind: 'upgrade';
  applied: Pick<Revision, 'id' | 'description'>[];
  /** The revision applied now, after the run. */
  current: string | null;
  head: boolean;
}

/**
 * Applies pending revisions up to the target, all in one transaction: a failure leaves the
 * database as it was (PostgreSQL runs DDL transactionally, as Alembic relies on too).
 * `transactionPerMigration` commits after each revision instead, and a revision that declares
 * itself non-transactional runs on its own (see applyRevisions).
 */
export function upgrade(options: UpgradeOptions & { sql: true }): Promise<SqlResult>;
export function upgrade(options: UpgradeOptions): Promise<UpgradeResult>;
export function upgrade(options: UpgradeOptions): Promise<UpgradeResult | SqlResult> {
  if (options.sql) return upgradeSql(options);
  return withDatabase(options, async (db) => {
    const position = await readPosition(db, notifier(options));
    const target = resolveRevision(options.revision ?? 'head', position);
    const { revisions } = position;
    const named = options.revision !== undefined && String(options.revision) !== 'head';
    if (named && (target === -1 || position.appliedNames.has(revisions[target].name))) {
      const id = target === -1 ? 'base' : revisions[target].id;
      throw new UserError(
        `Revision ${id} is already applied (current: ${revisions[position.current]?.id ?? 'base'}). ` +
          `Nothing to upgrade; to go back to it use 'veloiq db downgrade ${id}'.`,
      );
    }
    const pending = revisions.slice(0, target + 1).filter((r) => !position.appliedNames.has(r.name));
    if (pending.length > 0) {
      await applyRevisions(db, pending, 'up', {
        perMigration: options.transactionPerMigration,
        prepare: (ctx) => ensureRecordTable(db, ctx),
        record: (done, ctx) => recordApplied(db, done, ctx),
      });
    }
    const applied = new Set([...position.appliedNames, ...pending.map((r) => r.name)]);
    const currentIndex = revisions.reduce((max, r, i) => (applied.has(r.name) ? i : max), -1);
    return {
      kind: 'upgrade',
      applied: pending.map(({ id, description }) => ({ id, description })),
      current: revisions[currentIndex]?.id ?? null,
      head: revisions.every((r) => applied.has(r.name)),
    };
  }, { lock: 'upgrade' });
}
