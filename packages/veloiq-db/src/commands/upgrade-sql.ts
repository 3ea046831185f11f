import { UserError } from '../core/errors';
import { offlineScript, type SqlResult } from '../core/offline';
import { ensureRecordTable, recordApplied } from '../core/record';
import type { Transaction } from '@mikro-orm/core';
import { resolveRevision, type Revision } from '../core/revisions';
import { isTransactional, runRevisions } from '../core/runner';
import type { UpgradeOptions } from './upgrade';

/**
 * `upgrade --sql`: the script `upgrade` would run (record table, each revision's `up()`, the
 * statements that record them), in the same transactions, without connecting. It starts from base
 * unless the revision is a range `from:to`, as Alembic's offline mode does.
 */
export function upgradeSql(options: UpgradeOptions): Promise<SqlResult> {
  return offlineScript('upgrade', options, 'base', async ({ db, script, position, target }) => {
    const { revisions } = position;
    const to = resolveRevision(target ?? 'head', position);
    if (target !== undefined && target !== 'head' && to <= position.current) {
      const id = revisions[to]?.id ?? 'base';
      throw new UserError(
        `Revision ${id} is not after the script's starting point (${revisions[position.current]?.id ?? 'base'}). ` +
          `Give a later revision, or a range such as 'base:${revisions.at(-1)?.id ?? 'head'}'.`,
      );
    }
    const pending = revisions.slice(position.current + 1, to + 1);
    // The same batches as applyRevisions: one transaction for the run, or one per revision with
    // --transaction-per-migration, and a non-transactional revision on its own outside any.
    const batches: { revisions: Revision[]; transactional: boolean }[] = [];
    for (const revision of pending) {
      const transactional = isTransactional(db, revision);
      const last = batches.at(-1);
      if (transactional && !options.transactionPerMigration && last?.transactional) last.revisions.push(revision);
      else batches.push({ revisions: [revision], transactional });
    }
    let prepared = false;
    for (const batch of batches) {
      const run = async (ctx?: Transaction) => {
        if (!prepared) {
          script.comment('Record table (created when missing)');
          await ensureRecordTable(db, ctx);
          prepared = true;
        }
        for (const revision of batch.revisions) {
          script.comment(`Revision ${revision.id}: ${revision.description}${batch.transactional ? '' : ' (not transactional: runs outside a transaction)'}`);
          await runRevisions(db, [revision], 'up', ctx);
        }
        script.comment(`Record: add ${batch.revisions.map((r) => r.id).join(', ')}`);
        await recordApplied(db, batch.revisions.map((r) => r.name), ctx);
      };
      if (batch.transactional) await db.orm.em.getConnection().transactional(run);
      else await run();
    }
    return Math.max(to, position.current);
  });
}
