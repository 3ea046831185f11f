import { downgradePlan, requireDowngradeRevision } from '../core/plans';
import { recordReverted, recordRevertedSql } from '../core/record';
import { standingOf, type Revision, type Standing } from '../core/revisions';
import { applyRevisions } from '../core/runner';
import { withDatabase, readPosition, type CommandOptions } from './session';
import { downgradeSql, type SqlResult } from './sql';

export interface DowngradeOptions extends CommandOptions {
  /** Required: -N, base, a revision id or a unique prefix of one (or `from:to` with `sql`). */
  revision?: string | number;
  /** Print the SQL instead of running it; connects to nothing. */
  sql?: boolean;
  /** Commit after each revision instead of once for the whole run. */
  transactionPerMigration?: boolean;
}

export interface DowngradeResult extends Standing {
  kind: 'downgrade';
  /** Newest first, in the order they were reverted. */
  reverted: Pick<Revision, 'id' | 'description'>[];
}

/**
 * Goes back to an earlier revision, as Alembic does: `downgrade <id>` reverts every revision
 * applied after `<id>` and leaves `<id>` applied and current (the migrator's own `down({ to })`
 * would revert `<id>` too). All in one transaction: a failing `down()` leaves the database as it
 * was and the error names the revision.
 */
export async function downgrade(options: DowngradeOptions): Promise<DowngradeResult | SqlResult> {
  const spec = requireDowngradeRevision(options.revision);
  if (options.sql) return downgradeSql(options);
  return withDatabase(
    options,
    async (db) => {
      const position = await readPosition(db);
      const { revert, after } = downgradePlan(position, spec);
      if (revert.length > 0) {
        // One transaction (or one per revision); a revision whose isTransactional() is false is
        // reverted on its own, outside any (see applyRevisions).
        await applyRevisions(db, revert, 'down', {
          perMigration: options.transactionPerMigration,
          record: (done, ctx) =>
            recordReverted(
              db,
              done.map((r) => r.name),
              ctx,
            ),
          recordSql: (done) =>
            recordRevertedSql(
              db,
              done.map((r) => r.name),
            ),
        });
      }
      return {
        kind: 'downgrade',
        reverted: revert.map(({ id, description }) => ({ id, description })),
        ...standingOf(position, after),
      };
    },
    { lock: 'downgrade' },
  );
}
