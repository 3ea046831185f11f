import { ensureRecordTable, ensureRecordTableSql, recordApplied, recordAppliedSql } from '../core/record';
import { assertDirection, upgradePlan } from '../core/revision-graph';
import { resolveRevision, standingOf, type Revision, type Standing } from '../core/revisions';
import { applyRevisions } from '../core/runner';
import { notifier, withDatabase, readPosition, type CommandOptions } from './session';
import { upgradeSql, type SqlResult } from './sql';

export interface UpgradeOptions extends CommandOptions {
  /** head (default), heads, +N, <label>@head, <rev>@+N, a revision id or a unique prefix of one. */
  revision?: string | number;
  /** Print the SQL instead of running it (offline; connects to nothing): see sql.ts. */
  sql?: boolean;
  /** Commit after each revision instead of once for the whole run. */
  transactionPerMigration?: boolean;
}

export interface UpgradeResult extends Standing {
  kind: 'upgrade';
  applied: Pick<Revision, 'id' | 'description'>[];
  /** The revision word given, when it was not head: an applied one is nothing to do, as in Alembic. */
  target?: string;
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
  return withDatabase(
    options,
    async (db) => {
      assertDirection('upgrade', options.revision ?? 'head');
      const position = await readPosition(db, notifier(options));
      const target = resolveRevision(options.revision ?? 'head', position);
      const pending = upgradePlan(position.graph, position.appliedNames, target);
      if (pending.length > 0) {
        await applyRevisions(db, pending, 'up', {
          perMigration: options.transactionPerMigration,
          prepare: (ctx) => ensureRecordTable(db, ctx),
          record: (done, ctx) => recordApplied(db, done, ctx),
          prepareSql: () => ensureRecordTableSql(db),
          recordSql: (done) => recordAppliedSql(db, done),
        });
      }
      return {
        kind: 'upgrade',
        applied: pending.map(({ id, description }) => ({ id, description })),
        ...standingOf(position, [...position.appliedNames, ...pending.map((r) => r.name)]),
        ...(target.spec === 'head' ? {} : { target: target.spec }),
      };
    },
    { lock: 'upgrade' },
  );
}
