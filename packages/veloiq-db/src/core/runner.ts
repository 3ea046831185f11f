import type { Transaction } from '@mikro-orm/core';
import type { Migration } from '@mikro-orm/migrations';
import { UserError } from './errors';
import { loadModule } from './loader';
import type { Database } from './orm';
import type { Revision } from './revisions';

type Direction = 'up' | 'down';
type MigrationClass = new (...args: ConstructorParameters<typeof Migration>) => Migration;

/** Loads a revision file and makes its migration, with MikroORM's own Migration API. */
export function instantiate(db: Database, revision: Revision): Migration {
  let loaded: Record<string, unknown>;
  try {
    loaded = loadModule<Record<string, unknown>>(revision.path);
  } catch (error) {
    const first = String((error as Error)?.message ?? error).split('\n')[0];
    throw new UserError(`Revision ${revision.id} (${revision.name}) cannot be loaded: ${first}. Fix the file and try again.`);
  }
  const Class = Object.values(loaded).find((value) => typeof value === 'function') as MigrationClass | undefined;
  if (!Class) throw new UserError(`Revision ${revision.id} (${revision.name}) exports no migration class. Export a class that extends Migration.`);
  return new Class(db.orm.em.getDriver(), db.orm.config);
}

/** The SQL a revision runs in one direction, as its `up()`/`down()` declares it. */
export async function queriesOf(migration: Migration, direction: Direction, ctx?: Transaction): Promise<unknown[]> {
  migration.reset();
  if (ctx) migration.setTransactionContext(ctx);
  await migration[direction]();
  return migration.getQueries().filter((sql) => typeof sql !== 'string' || sql.trim().length > 0);
}

/** Runs revisions in order inside the given transaction; a failure names the revision. */
export async function runRevisions(db: Database, revisions: Revision[], direction: Direction, ctx: Transaction): Promise<void> {
  const connection = db.orm.em.getConnection();
  for (const revision of revisions) {
    try {
      const migration = instantiate(db, revision);
      for (const sql of await queriesOf(migration, direction, ctx)) {
        await connection.execute(sql as string, [], 'run', ctx);
      }
    } catch (error) {
      if (error instanceof UserError) throw error;
      const message = String((error as Error)?.message ?? error).split('\n')[0];
      throw new UserError(
        `Revision ${revision.id} (${revision.description}) failed ${direction === 'up' ? 'to apply' : 'to revert'}: ${message}. ` +
          `Nothing was changed; fix the revision and run the command again.`,
      );
    }
  }
}
