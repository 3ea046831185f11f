import type { Transaction } from '@mikro-orm/core';
import { offlineScript, type SqlResult, type SqlScript } from '../core/offline';
import type { Database } from '../core/orm';
import { ensureRecordTable, recordApplied, recordReverted } from '../core/record';
import { resolveRevision, type Position, type Revision } from '../core/revisions';
import { withDatabase, readPosition, type CommandOptions } from '../core/session';

export interface StampOptions extends CommandOptions {
  /** head (default), base, -N, +N, a revision id or a unique prefix of one (or `from:to` with `sql`). */
  revision?: string | number;
  /** Print the SQL instead of running it; connects to nothing. */
  sql?: boolean;
}

type Entry = Pick<Revision, 'id' | 'description'>;

export interface StampResult {
  kind: 'stamp';
  /** Revisions newly recorded as applied, oldest first. */
  recorded: Entry[];
  /** Revisions removed from the record, newest first; names with no revision file keep their name as id. */
  removed: Entry[];
  /** The revision the database is marked at now; null at base. */
  current: string | null;
  head: boolean;
}

interface Plan {
  target: number;
  record: Revision[];
  /** Recorded names to remove: known revisions after the target, then names with no file. */
  remove: string[];
  /** How `remove` is shown: ids, or the name when no file has it. */
  removeShown: string[];
}

/** What must change in the record so that exactly the revisions up to the target are recorded. */
function plan(position: Position, spec: string | number): Plan {
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

async function rewriteRecord(db: Database, { record, remove, removeShown }: Plan, ctx: Transaction, script?: SqlScript): Promise<void> {
  if (remove.length > 0) {
    script?.comment(`Record: remove ${removeShown.join(', ')}`);
    await recordReverted(db, remove, ctx);
  }
  if (record.length > 0) {
    script?.comment(`Record: add ${record.map((r) => `${r.id} (${r.description})`).join(', ')}`);
    await ensureRecordTable(db, ctx);
    await recordApplied(db, record, ctx);
  }
}

/**
 * Marks the database as being at a revision without running any migration SQL: afterwards the
 * record holds exactly the revisions up to the target (rows are added or removed as needed), so
 * a database whose tables were made another way comes under migration control. `stamp base`
 * clears the record.
 */
export function stamp(options: StampOptions): Promise<StampResult | SqlResult> {
  if (options.sql) {
    return offlineScript('stamp', options, 'base', async ({ db, script, position, target }) => {
      const change = plan(position, target ?? 'head');
      if (change.record.length + change.remove.length > 0) {
        await db.orm.em.getConnection().transactional((ctx) => rewriteRecord(db, change, ctx, script));
      }
      return change.target;
    });
  }
  return withDatabase(options, async (db) => {
    const position = await readPosition(db);
    const change = plan(position, options.revision ?? 'head');
    if (change.record.length + change.remove.length > 0) {
      await db.orm.em.getConnection().transactional((ctx) => rewriteRecord(db, change, ctx));
    }
    const { revisions } = position;
    const byName = new Map(revisions.map((r) => [r.name, r]));
    const entry = (r: Revision): Entry => ({ id: r.id, description: r.description });
    return {
      kind: 'stamp',
      recorded: change.record.map(entry),
      removed: change.remove.map((name) => (byName.has(name) ? entry(byName.get(name)!) : { id: name, description: '(no revision file)' })),
      current: revisions[change.target]?.id ?? null,
      head: change.target === revisions.length - 1,
    };
  }, { lock: 'stamp' });
}
