import type { Transaction } from '@mikro-orm/core';
import type { Migration } from '@mikro-orm/migrations';
import { UserError } from './errors';
import { loadModule, preloadModules } from './loader';
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
  return new Class(db.orm.em.getDriver() as ConstructorParameters<MigrationClass>[0], db.orm.config);
}

/** The SQL a revision runs in one direction, as its `up()`/`down()` declares it. */
export async function queriesOf(migration: Migration, direction: Direction, ctx?: Transaction): Promise<unknown[]> {
  migration.reset();
  if (ctx) migration.setTransactionContext(ctx);
  await migration[direction]();
  return migration.getQueries().filter((sql) => typeof sql !== 'string' || sql.trim().length > 0);
}

type Connection = ReturnType<Database['orm']['em']['getConnection']>;

/** Wraps a revision's batched statements, so a failed batch can be undone and replayed. */
const SAVEPOINT = 'veloiq_revision';

/**
 * Runs one revision's statements, in order. Inside a transaction, several plain SQL strings go
 * to PostgreSQL in one round trip (with no parameters, pg uses the simple query protocol, which
 * runs every statement of a string): on a long upgrade the round trips cost more than the
 * statements (bench: 1000 revisions of two statements, one string each took ~30% less time
 * than a call per statement). They run under a savepoint; if the batch fails, it is rolled
 * back to the savepoint and replayed statement by statement, so the error is the failing
 * statement's own, exactly as without batching. Outside a transaction, or when a statement is
 * a query builder, statements go one by one.
 */
async function executeAll(connection: Connection, queries: unknown[], ctx: Transaction | undefined): Promise<void> {
  if (ctx && queries.length > 1 && queries.every((sql) => typeof sql === 'string')) {
    // A line break before each `;`, so a statement ending in a `--` comment cannot swallow it.
    const batch = [`savepoint ${SAVEPOINT}`, ...(queries as string[]), `release savepoint ${SAVEPOINT}`].join('\n;\n');
    try {
      await connection.execute(batch, [], 'run', ctx);
      return;
    } catch {
      await connection.execute(`rollback to savepoint ${SAVEPOINT}`, [], 'run', ctx);
    }
  }
  for (const sql of queries) await connection.execute(sql as string, [], 'run', ctx);
}

const NOTHING_CHANGED = 'Nothing was changed; fix the revision and run the command again.';

/**
 * Runs revisions in order inside the given transaction (or, without one, statement by statement
 * in autocommit); a failure names the revision and says what `consequence` it left.
 */
export async function runRevisions(
  db: Database,
  revisions: Revision[],
  direction: Direction,
  ctx: Transaction | undefined,
  consequence = NOTHING_CHANGED,
): Promise<void> {
  const connection = db.orm.em.getConnection();
  for (const revision of revisions) {
    try {
      const migration = instantiate(db, revision);
      await executeAll(connection, await queriesOf(migration, direction, ctx), ctx);
    } catch (error) {
      if (error instanceof UserError) throw error;
      const message = String((error as Error)?.message ?? error).split('\n')[0];
      throw new UserError(`Revision ${revision.id} (${revision.description}) failed ${direction === 'up' ? 'to apply' : 'to revert'}: ${message}. ${consequence}`);
    }
  }
}

/** Whether a revision may run inside a transaction: MikroORM's own `isTransactional()`. */
export function isTransactional(db: Database, revision: Revision): boolean {
  return instantiate(db, revision).isTransactional() !== false;
}

export interface ApplyOptions {
  /** Commit after each revision (`--transaction-per-migration`) instead of once for the run. */
  perMigration?: boolean;
  /** Runs first, inside the first transaction (e.g. creating the record table). */
  prepare?: (ctx?: Transaction) => Promise<void>;
  /** Records what a batch did, inside the batch's transaction (none for a non-transactional one). */
  record: (revisions: Revision[], ctx?: Transaction) => Promise<void>;
  /** Called just before each revision runs (the offline script names it there). */
  announce?: (revision: Revision, transactional: boolean) => void;
}

/**
 * Runs revisions in order and records them, in as few transactions as the rules allow:
 * - by default, one transaction for the whole run: all or nothing;
 * - with `perMigration`, one per revision: a failure keeps the revisions before it;
 * - a revision whose `isTransactional()` returns false (for `CREATE INDEX CONCURRENTLY`) runs on
 *   its own, statement by statement, outside any transaction, and is recorded after its last
 *   statement succeeds. What ran before it is committed first. If it fails, its earlier
 *   statements stay applied and it stays unrecorded: its statements should be safe to repeat.
 * A failure's message says what was kept.
 */
export async function applyRevisions(db: Database, revisions: Revision[], direction: Direction, options: ApplyOptions): Promise<void> {
  preloadModules(revisions.map((r) => r.path)); // many revisions compile faster together
  const batches: { revisions: Revision[]; transactional: boolean }[] = [];
  for (const revision of revisions) {
    const transactional = isTransactional(db, revision);
    const last = batches.at(-1);
    if (transactional && !options.perMigration && last?.transactional) last.revisions.push(revision);
    else batches.push({ revisions: [revision], transactional });
  }
  const connection = db.orm.em.getConnection();
  const done: Revision[] = [];
  let prepared = !options.prepare;
  for (const batch of batches) {
    const kept = done.length
      ? `${done.map((r) => r.id).join(', ')} ${done.length === 1 ? 'was' : 'were'} ${direction === 'up' ? 'applied' : 'reverted'} and committed before it; `
      : '';
    if (batch.transactional) {
      await connection.transactional(async (ctx) => {
        if (!prepared) await options.prepare!(ctx);
        const consequence = done.length ? `${kept}the rest was rolled back. Fix the revision and run the command again.` : NOTHING_CHANGED;
        for (const revision of batch.revisions) {
          options.announce?.(revision, true);
          await runRevisions(db, [revision], direction, ctx, consequence);
        }
        await options.record(batch.revisions, ctx);
      });
    } else {
      if (!prepared) await options.prepare!();
      options.announce?.(batch.revisions[0], false);
      await runRevisions(
        db,
        batch.revisions,
        direction,
        undefined,
        `${kept}it runs outside a transaction, so its statements before the failing one stay applied and it is not recorded. ` +
          `Check the database, make its statements safe to repeat (IF NOT EXISTS), and run the command again.`,
      );
      await options.record(batch.revisions);
    }
    prepared = true;
    done.push(...batch.revisions);
  }
}
