import { rewriteRecord, stampPlan } from '../core/plans';
import { standingOf, type Revision, type Standing } from '../core/revisions';
import { withDatabase, readPosition, type CommandOptions } from './session';
import { stampSql, type SqlResult } from './sql';

export interface StampOptions extends CommandOptions {
  /** head (default), heads, base, -N, +N, <label>@head, a revision id or a unique prefix of one, several separated by spaces (or `from:to` with `sql`). */
  revision?: string | number;
  /** Print the SQL instead of running it; connects to nothing. */
  sql?: boolean;
  /** Empty the record first (Alembic's `stamp --purge`): exactly the targets and their ancestors stay recorded. */
  purge?: boolean;
}

type Entry = Pick<Revision, 'id' | 'description'>;

export interface StampResult extends Standing {
  kind: 'stamp';
  /** Revisions newly recorded as applied, oldest first. */
  recorded: Entry[];
  /** Revisions removed from the record, newest first; names with no revision file keep their name as id. */
  removed: Entry[];
}

/**
 * Marks the database as being at a revision without running any migration SQL: afterwards the
 * record holds the revisions up to the target (rows are added or removed as needed on its
 * branch; other branches stay, as in Alembic, unless `purge`), so a database whose tables were
 * made another way comes under migration control. `stamp base` clears the record.
 */
export function stamp(options: StampOptions): Promise<StampResult | SqlResult> {
  if (options.sql) return stampSql(options);
  return withDatabase(
    options,
    async (db) => {
      const position = await readPosition(db);
      const change = stampPlan(position, options.revision ?? 'head', options.purge);
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
        ...standingOf(position, change.after),
      };
    },
    { lock: 'stamp' },
  );
}
