import type { Transaction } from '@mikro-orm/core';
import type { Migration } from '@mikro-orm/migrations';
import { fixRevisionAdvice } from './edit-advice';
import { UserError } from './errors';
import { compileAhead, loadModule } from './loader';
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

/** What a revision's `up()`/`down()` declared, ready to run. */
interface Planned {
  revision: Revision;
  queries: unknown[];
}

/** Wraps a batch of statements, so a failed batch can be undone and replayed. */
const SAVEPOINT = 'veloiq_batch';

/**
 * Statements sent to PostgreSQL as one string. Several revisions' plain SQL strings go in one
 * round trip (with no parameters, pg uses the simple query protocol, which runs every statement
 * of a string): on a long upgrade the per-query cost is larger than the statements' own (bench:
 * 1000 revisions of two statements took ~20% longer as 1000 strings than as 20), and it is all
 * on the critical path, since the client waits for each answer.
 */
const BATCH_STATEMENTS = 100;

/** Thrown by a revision that touches the database in `up()` while earlier statements wait in a batch. */
const SEND_BATCH_FIRST = Symbol('send the batch first');

/**
 * A revision may use the database inside `up()` (`this.execute()`, `getKnex()`,
 * `getEntityManager()`); all of them go through its `driver` or its transaction `ctx`. It must
 * see every earlier revision applied, as it would under MikroORM's own runner: while statements
 * wait in a batch, reading either throws SEND_BATCH_FIRST, before anything ran, so the batch
 * is sent and `up()` runs again on a fresh instance.
 */
function guardDatabaseUse(migration: Migration, batchWaiting: () => boolean): void {
  for (const key of ['driver', 'ctx'] as const) {
    let value = (migration as unknown as Record<string, unknown>)[key];
    Object.defineProperty(migration, key, {
      configurable: true,
      get() {
        if (batchWaiting()) throw SEND_BATCH_FIRST;
        return value;
      },
      set(next: unknown) {
        value = next;
      },
    });
  }
}

const NOTHING_CHANGED = 'Nothing was changed; fix the revision and run the command again.';

function failure(revision: Revision, direction: Direction, consequence: string, error: unknown): UserError {
  if (error instanceof UserError) return error;
  const message = String((error as Error)?.message ?? error).split('\n')[0];
  const then = consequence === NOTHING_CHANGED ? fixRevisionAdvice(direction) : consequence;
  return new UserError(`Revision ${revision.id} (${revision.description}) failed ${direction === 'up' ? 'to apply' : 'to revert'}: ${message}. ${then}`);
}

/** Runs a revision's statements one by one; a failure names the revision. */
async function runOneByOne(connection: Connection, { revision, queries }: Planned, direction: Direction, ctx: Transaction | undefined, consequence: string): Promise<void> {
  try {
    for (const sql of queries) await connection.execute(sql as string, [], 'run', ctx);
  } catch (error) {
    throw failure(revision, direction, consequence, error);
  }
}

/**
 * Runs revisions in order inside the given transaction (or, without one, statement by statement
 * in autocommit); a failure names the revision and says what `consequence` it left.
 *
 * Inside a transaction on a live database, the plain SQL of consecutive revisions is sent in
 * batches (see BATCH_STATEMENTS) under a savepoint. A failed batch is rolled back to the
 * savepoint and replayed revision by revision, statement by statement, so the error is the
 * failing statement's own, named by its revision, exactly as without batching. A revision whose
 * statements include a query builder runs on its own, one statement at a time. An offline
 * (`--sql`) script gets each statement as written.
 */
export async function runRevisions(
  db: Database,
  revisions: Iterable<Revision> | AsyncIterable<Revision>,
  direction: Direction,
  ctx: Transaction | undefined,
  consequence = NOTHING_CHANGED,
  announce?: (revision: Revision) => void,
): Promise<void> {
  const connection = db.orm.em.getConnection();
  const batching = ctx !== undefined && !db.offline;
  const waiting: Planned[] = [];
  const send = async (): Promise<void> => {
    if (waiting.length === 0) return;
    const batch = waiting.splice(0);
    // A line break before each `;`, so a statement ending in a `--` comment cannot swallow it.
    const text = [`savepoint ${SAVEPOINT}`, ...batch.flatMap((p) => p.queries as string[]), `release savepoint ${SAVEPOINT}`].join('\n;\n');
    try {
      await connection.execute(text, [], 'run', ctx);
      return;
    } catch {
      await connection.execute(`rollback to savepoint ${SAVEPOINT}`, [], 'run', ctx);
    }
    for (const planned of batch) await runOneByOne(connection, planned, direction, ctx, consequence);
  };
  // A revision that touched the database while a batch waited is planned again once it is sent.
  const plan = async (revision: Revision): Promise<Planned> => {
    for (;;) {
      const migration = instantiate(db, revision);
      if (batching) guardDatabaseUse(migration, () => waiting.length > 0);
      try {
        return { revision, queries: await queriesOf(migration, direction, ctx) };
      } catch (error) {
        if (error !== SEND_BATCH_FIRST) throw failure(revision, direction, consequence, error);
      }
      await send();
    }
  };
  for await (const revision of revisions) {
    announce?.(revision);
    const planned = await plan(revision);
    if (!batching || !planned.queries.every((sql) => typeof sql === 'string')) {
      await send();
      await runOneByOne(connection, planned, direction, ctx, consequence);
      continue;
    }
    waiting.push(planned);
    if (waiting.reduce((count, p) => count + p.queries.length, 0) >= BATCH_STATEMENTS) await send();
  }
  await send();
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
  // Many revisions compile faster together: in the background, while the first ones run.
  const compiling = compileAhead(revisions.map((r) => r.path));
  const connection = db.orm.em.getConnection();
  const done: Revision[] = [];
  let prepared = !options.prepare;
  let next = 0;
  const nextIsTransactional = async () => {
    await compiling.ready(revisions[next].path);
    return isTransactional(db, revisions[next]);
  };
  try {
    while (next < revisions.length) {
      const kept = done.length
        ? `${done.map((r) => r.id).join(', ')} ${done.length === 1 ? 'was' : 'were'} ${direction === 'up' ? 'applied' : 'reverted'} and committed before it; `
        : '';
      if (await nextIsTransactional()) {
        const group: Revision[] = [];
        // The revisions of this transaction: up to the next non-transactional one, or just one.
        async function* transactionalRun(): AsyncGenerator<Revision> {
          do {
            group.push(revisions[next]);
            yield revisions[next++];
          } while (!options.perMigration && next < revisions.length && (await nextIsTransactional()));
        }
        await connection.transactional(async (ctx) => {
          if (!prepared) await options.prepare!(ctx);
          const consequence = done.length ? `${kept}the rest was rolled back. Fix the revision and run the command again.` : NOTHING_CHANGED;
          await runRevisions(db, transactionalRun(), direction, ctx, consequence, (revision) => options.announce?.(revision, true));
          await options.record(group, ctx);
        });
        done.push(...group);
      } else {
        const revision = revisions[next++];
        if (!prepared) await options.prepare!();
        options.announce?.(revision, false);
        await runRevisions(
          db,
          [revision],
          direction,
          undefined,
          `${kept}it runs outside a transaction, so its statements before the failing one stay applied and it is not recorded. ` +
            `Check the database, make its statements safe to repeat (IF NOT EXISTS), and run the command again.`,
        );
        await options.record([revision]);
        done.push(revision);
      }
      prepared = true;
    }
  } finally {
    compiling.stop();
  }
}
