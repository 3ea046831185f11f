import { UserError } from '../core/errors';
import { offlineScript, type SqlResult } from '../core/offline';
import { ensureRecordTable, recordApplied } from '../core/record';
import { upgradePlan } from '../core/revision-graph';
import { resolveRevision, standingOf } from '../core/revisions';
import { applyRevisions } from '../core/runner';
import type { UpgradeOptions } from './upgrade';

/**
 * `upgrade --sql`: the script `upgrade` would run (record table, each revision's `up()`, the
 * statements that record them), in the same transactions: it is applyRevisions itself, on a
 * connection that writes a script instead of connecting. It starts from base unless the
 * revision is a range `from:to`, as Alembic's offline mode does.
 */
export function upgradeSql(options: UpgradeOptions): Promise<SqlResult> {
  return offlineScript('upgrade', options, 'base', async ({ db, script, position, target }) => {
    const to = resolveRevision(target ?? 'head', position);
    const pending = upgradePlan(position.graph, position.appliedNames, to);
    if (target !== undefined && target !== 'head' && pending.length === 0) {
      throw new UserError(
        `Revision ${to.revisions.map((r) => r.id).join(', ') || 'base'} is not after the script's starting point (${standingOf(position).current ?? 'base'}). ` +
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
