import type { Transaction } from '@mikro-orm/core';
import { UserError } from './errors';
import type { Database } from './orm';
import { ensureRecordTable, recordApplied, recordReverted } from './record';
import { isApplied, resolveRevision, type Position, type Revision } from './revisions';
import { runRevisions } from './runner';

/**
 * What `downgrade` and `stamp` will do, decided from where the database stands before anything
 * runs: pure functions of a Position, shared by the online commands and their `--sql` scripts.
 */

export interface DowngradePlan {
  /** The index left current (-1 for base). */
  target: number;
  /** The revisions to revert, newest first. */
  revert: Revision[];
}

/** The revisions to revert, newest first, to leave `spec`'s revision current. */
export function downgradePlan(position: Position, spec: string | number): DowngradePlan {
  const target = resolveRevision(spec, position);
  const { revisions, current } = position;
  const currentId = revisions[current]?.id ?? 'base';
  if (target > current) {
    throw new UserError(
      `Revision ${revisions[target].id} is ahead of the current revision (${currentId}); downgrade only goes back. ` +
        `To apply it use 'veloiq db upgrade ${revisions[target].id}'.`,
    );
  }
  if (target >= 0 && !isApplied(position, target)) {
    throw new UserError(
      `Revision ${revisions[target].id} is not applied, so the database cannot be left at it. ` +
        `Pick an applied revision (see 'veloiq db history'), or 'veloiq db stamp ${revisions[target].id}' to only change the record.`,
    );
  }
  const revert = revisions.filter((r, i) => i > target && isApplied(position, i)).reverse();
  return { target, revert };
}

/** downgrade's revision argument, which (unlike upgrade's and stamp's) has no default. */
export function requireDowngradeRevision(revision: string | number | undefined): string | number {
  if (revision === undefined || String(revision).trim() === '') {
    throw new UserError("downgrade needs a revision: -1 (one step back), a revision id, or base (everything). Example: 'veloiq db downgrade -1'.");
  }
  return revision;
}

export interface StampPlan {
  target: number;
  record: Revision[];
  /** Recorded names to remove: known revisions after the target, then names with no file. */
  remove: string[];
  /** How `remove` is shown: ids, or the name when no file has it. */
  removeShown: string[];
}

/** What must change in the record so that exactly the revisions up to the target are recorded. */
export function stampPlan(position: Position, spec: string | number): StampPlan {
  const target = resolveRevision(spec, position);
  const { revisions, appliedNames } = position;
  const wanted = new Set(revisions.slice(0, target + 1).map((r) => r.name));
  const known = new Set(revisions.map((r) => r.name));
  const record = revisions.slice(0, target + 1).filter((r) => !appliedNames.has(r.name));
  const remove = [
    ...revisions.filter((r) => appliedNames.has(r.name) && !wanted.has(r.name)).reverse().map((r) => r.name),
    ...[...appliedNames].filter((name) => !known.has(name)),
  ];
  const idOf = new Map(revisions.map((r) => [r.name, r.id]));
  return { target, record, remove, removeShown: remove.map((name) => idOf.get(name) ?? name) };
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
  await recordReverted(db, revert.map((r) => r.name), ctx);
}
