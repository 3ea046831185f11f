import type { Transaction } from '@mikro-orm/core';
import { UserError } from './errors';
import type { Database } from './orm';
import { ensureRecordTable, recordApplied, recordReverted } from './record';
import { assertDirection, downgradePlan as revertsOnGraph, stampPlan as stampOnGraph } from './revision-graph';
import { resolveRevision, type Position, type Revision } from './revisions';
import { runRevisions } from './runner';

/**
 * What `downgrade` and `stamp` will do, decided from where the database stands before anything
 * runs: pure functions of a Position, shared by the online commands and their `--sql` scripts.
 */

export interface DowngradePlan {
  /** The revisions to revert, children first. */
  revert: Revision[];
  /** The names recorded afterwards. */
  after: string[];
}

/**
 * The revisions to revert: those applied after the target on its branch. As in Alembic, going
 * back to one parent of a mergepoint keeps the other branch applied.
 */
export function downgradePlan(position: Position, spec: string | number): DowngradePlan {
  assertDirection('downgrade', spec);
  const revert = revertsOnGraph(position.graph, position.appliedNames, resolveRevision(spec, position));
  const reverted = new Set(revert.map((r) => r.name));
  return { revert, after: [...position.appliedNames].filter((name) => !reverted.has(name)) };
}

/** downgrade's revision argument, which (unlike upgrade's and stamp's) has no default. */
export function requireDowngradeRevision(revision: string | number | undefined): string | number {
  if (revision === undefined || String(revision).trim() === '') {
    throw new UserError("downgrade needs a revision: -1 (one step back), a revision id, or base (everything). Example: 'veloiq db downgrade -1'.");
  }
  return revision;
}

export interface StampPlan {
  record: Revision[];
  /** Recorded names to remove: known revisions not wanted (children first), then names with no file. */
  remove: string[];
  /** How `remove` is shown: ids, or the name when no file has it. */
  removeShown: string[];
  /** The names recorded afterwards. */
  after: string[];
}

/**
 * What must change in the record for the stamp, as Alembic's: each target replaces the applied
 * revisions on its own branch and keeps the others; `purge` first empties the record, so exactly
 * the targets and their ancestors are recorded. Several words (`stamp b c`) stamp each branch.
 */
export function stampPlan(position: Position, spec: string | number, purge = false): StampPlan {
  const words = String(spec).trim().split(/\s+/);
  const targets = words.map((word) => resolveRevision(word, position));
  const { record, remove: unwanted } = stampOnGraph(position.graph, position.appliedNames, targets, purge);
  const known = new Set(position.revisions.map((r) => r.name));
  const remove = [...unwanted.map((r) => r.name), ...[...position.appliedNames].filter((name) => !known.has(name))];
  const idOf = new Map(position.revisions.map((r) => [r.name, r.id]));
  const removed = new Set(remove);
  return {
    record,
    remove,
    removeShown: remove.map((name) => idOf.get(name) ?? name),
    after: [...[...position.appliedNames].filter((name) => !removed.has(name)), ...record.map((r) => r.name)],
  };
}

/** Where a `--sql` script says which revision the next statements belong to; online, nowhere. */
export type Comment = (text: string) => void;

/** Carries out a stamp plan inside the caller's transaction: no migration SQL, only the record. */
export async function rewriteRecord(db: Database, { record, remove, removeShown }: StampPlan, ctx: Transaction, comment?: Comment): Promise<void> {
  if (remove.length > 0) {
    comment?.(`Record: remove ${removeShown.join(', ')}`);
    await recordReverted(db, remove, ctx);
  }
  if (record.length > 0) {
    comment?.(`Record: add ${record.map((r) => `${r.id} (${r.description})`).join(', ')}`);
    await ensureRecordTable(db, ctx);
    await recordApplied(db, record, ctx);
  }
}

/** Reverts the revisions and removes them from the record, inside the caller's transaction. */
export async function revertAll(db: Database, revert: Revision[], ctx: Transaction, comment?: Comment): Promise<void> {
  await runRevisions(db, revert, 'down', ctx, undefined, (revision) => comment?.(`Revision ${revision.id}: ${revision.description} (revert)`));
  comment?.(`Record: remove ${revert.map((r) => r.id).join(', ')}`);
  await recordReverted(
    db,
    revert.map((r) => r.name),
    ctx,
  );
}
