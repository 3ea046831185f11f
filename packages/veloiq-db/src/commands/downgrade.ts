import type { Transaction } from '@mikro-orm/core';
import { UserError } from '../core/errors';
import { offlineScript, type SqlResult, type SqlScript } from '../core/offline';
import type { Database } from '../core/orm';
import { recordReverted } from '../core/record';
import { downgradePlan } from '../core/revision-graph';
import { resolveRevision, standingOf, type Position, type Revision, type Standing } from '../core/revisions';
import { applyRevisions, runRevisions } from '../core/runner';
import { withDatabase, readPosition, type CommandOptions } from '../core/session';

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
 * The revisions to revert, children first: those applied after the target on its branch. As in
 * Alembic, going back to one parent of a mergepoint keeps the other branch applied.
 */
function plan(position: Position, spec: string | number): Revision[] {
  return downgradePlan(position.graph, position.appliedNames, resolveRevision(spec, position));
}

/** Reverts the revisions and removes them from the record, inside the caller's transaction. */
async function revertAll(db: Database, revert: Revision[], ctx: Transaction, script?: SqlScript): Promise<void> {
  await runRevisions(db, revert, 'down', ctx, undefined, (revision) => script?.comment(`Revision ${revision.id}: ${revision.description} (revert)`));
  script?.comment(`Record: remove ${revert.map((r) => r.id).join(', ')}`);
  await recordReverted(db, revert.map((r) => r.name), ctx);
}

function remaining(position: Position, revert: Revision[]): string[] {
  const reverted = new Set(revert.map((r) => r.name));
  return [...position.appliedNames].filter((name) => !reverted.has(name));
}

function requireRevision(revision: string | number | undefined): string | number {
  if (revision === undefined || String(revision).trim() === '') {
    throw new UserError("downgrade needs a revision: -1 (one step back), a revision id, or base (everything). Example: 'veloiq db downgrade -1'.");
  }
  return revision;
}

/**
 * Goes back to an earlier revision, as Alembic does: `downgrade <id>` reverts every revision
 * applied after `<id>` and leaves `<id>` applied and current (the migrator's own `down({ to })`
 * would revert `<id>` too). All in one transaction: a failing `down()` leaves the database as it
 * was and the error names the revision.
 */
export async function downgrade(options: DowngradeOptions): Promise<DowngradeResult | SqlResult> {
  const spec = requireRevision(options.revision);
  if (options.sql) {
    return offlineScript('downgrade', options, 'head', async ({ db, script, position, target }) => {
      const revert = plan(position, requireRevision(target));
      if (revert.length > 0) {
        await db.orm.em.getConnection().transactional((ctx) => revertAll(db, revert, ctx, script));
      }
      return remaining(position, revert);
    });
  }
  return withDatabase(options, async (db) => {
    const position = await readPosition(db);
    const revert = plan(position, spec);
    if (revert.length > 0) {
      // One transaction (or one per revision); a revision whose isTransactional() is false is
      // reverted on its own, outside any (see applyRevisions).
      await applyRevisions(db, revert, 'down', {
        perMigration: options.transactionPerMigration,
        record: (done, ctx) => recordReverted(db, done.map((r) => r.name), ctx),
      });
    }
    return {
      kind: 'downgrade',
      reverted: revert.map(({ id, description }) => ({ id, description })),
      ...standingOf(position, remaining(position, revert)),
    };
  }, { lock: 'downgrade' });
}
