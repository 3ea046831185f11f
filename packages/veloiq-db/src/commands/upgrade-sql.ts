import { UserError } from '../core/errors';
import { offlineScript, type SqlResult } from '../core/offline';
import { ensureRecordTable, recordApplied } from '../core/record';
import { resolveRevision } from '../core/revisions';
import { runRevisions } from '../core/runner';
import type { UpgradeOptions } from './upgrade';

/**
 * `upgrade --sql`: the script `upgrade` would run (record table, each revision's `up()`, the
 * statement that records them), in one transaction, without connecting. It starts from base
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
    if (pending.length > 0) {
      await db.orm.em.getConnection().transactional(async (ctx) => {
        script.comment(`Record table (created when missing)`);
        await ensureRecordTable(db, ctx);
        for (const revision of pending) {
          script.comment(`Revision ${revision.id}: ${revision.description}`);
          await runRevisions(db, [revision], 'up', ctx);
        }
        script.comment(`Record: add ${pending.map((r) => r.id).join(', ')}`);
        await recordApplied(db, pending.map((r) => r.name), ctx);
      });
    }
    return Math.max(to, position.current);
  });
}
