import type { Transaction } from '@mikro-orm/core';
import type { Migration } from '@mikro-orm/migrations';
import type { PostgreSqlConnection } from '@mikro-orm/postgresql';
import { fixRevisionAdvice } from './edit-advice';
import { driverMessage, firstLine, isConnectionLost, RevisionFailedError, UserError } from './errors';
import { loadErrorLine } from './load-error';
import { compileAhead, loadModule } from './loader';
import { heldLockOf, LOCK_GONE } from './lock';
import { shownPath } from './paths';
import { localStatePath } from './project';
import type { Database } from './orm';
import { appliedNames, CLAIM_REFUSED, claimSql, quickClaim, recordRefusesDuplicates, refusedByQuickClaim } from './record';
import type { Revision } from './revisions';

type Direction = 'up' | 'down';
type MigrationClass = new (...args: ConstructorParameters<typeof Migration>) => Migration;

/** A class that extends Migration, by shape: the project may load its own copy of @mikro-orm/migrations. */
function isMigrationClass(value: unknown): value is MigrationClass {
  const prototype = (value as { prototype?: Record<string, unknown> } | null)?.prototype;
  return typeof value === 'function' && typeof prototype?.up === 'function' && typeof prototype?.isTransactional === 'function';
}

/** Loads a revision file and makes its migration, with MikroORM's own Migration API. */
export function instantiate(db: Database, revision: Revision): Migration {
  const show = (path: string) => shownPath(path, db.project.root, process.cwd());
  let loaded: Record<string, unknown>;
  try {
    loaded = loadModule<Record<string, unknown>>(revision.path);
  } catch (error) {
    throw new RevisionFailedError(
      revision.id,
      'up',
      `Revision ${revision.id} (${revision.name}) cannot be loaded: ${loadErrorLine(error, revision.path, show)}. Fix the file and try again.`,
      { cause: error },
    );
  }
  const Class = Object.values(loaded).find(isMigrationClass);
  if (!Class) {
    // Like MikroORM's migrator, every script in the folder is a revision: listing them stays a
    // directory scan, never a load of each file.
    throw new UserError(
      `${show(revision.path)} is in the migrations folder but exports no migration class. A revision file must export a class that extends Migration (from @mikro-orm/migrations); ` +
        `every .ts and .js file there is read as a revision, so move a helper module out of the folder (to backend/src/, say).`,
    );
  }
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
 * of a string): on a long upgrade the per-query cost is larger than the statements' own, and it
 * is all on the critical path, since the client waits for each answer.
 */
const BATCH_STATEMENTS = 100;

/** The first round trip of a run with a transaction per revision (see planTogether). */
const FIRST_BATCH_STATEMENTS = 10;

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

function failure(revision: Revision, direction: Direction, consequence: string, error: unknown): Error {
  // A lost connection is no fault of the revision: applyRevisions says what state it left.
  if (error instanceof UserError || isConnectionLost(error)) return error as Error;
  const then = consequence === NOTHING_CHANGED ? fixRevisionAdvice(direction) : consequence;
  return new RevisionFailedError(
    revision.id,
    direction,
    `Revision ${revision.id} (${revision.description}) failed ${direction === 'up' ? 'to apply' : 'to revert'}: ${firstLine(error)}. ${then}`,
    { cause: error },
  );
}

/** Runs a revision's statements one by one; a failure names the revision. */
async function runOneByOne(
  connection: Connection,
  { revision, queries }: Planned,
  direction: Direction,
  ctx: Transaction | undefined,
  consequence: string,
): Promise<void> {
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
 *
 * `claim` (claimSql, inside a transaction only) runs before anything else of the transaction,
 * sent with its first batch.
 */
export async function runRevisions(
  db: Database,
  revisions: Iterable<Revision> | AsyncIterable<Revision>,
  direction: Direction,
  ctx: Transaction | undefined,
  consequence = NOTHING_CHANGED,
  announce?: (revision: Revision) => void,
  claim?: string,
): Promise<void> {
  const connection = db.orm.em.getConnection();
  const batching = ctx !== undefined && !db.offline;
  const waiting: Planned[] = [];
  let unclaimed = batching ? claim : undefined;
  const send = async (): Promise<void> => {
    if (waiting.length === 0 && unclaimed === undefined) return;
    const batch = waiting.splice(0);
    const first = unclaimed;
    unclaimed = undefined;
    if (batch.length === 0) {
      await connection.execute(first!, [], 'run', ctx);
      return;
    }
    // A line break before each `;`, so a statement ending in a `--` comment cannot swallow it.
    const text = [`savepoint ${SAVEPOINT}`, ...(first ? [first] : []), ...batch.flatMap((p) => p.queries as string[]), `release savepoint ${SAVEPOINT}`].join(
      '\n;\n',
    );
    try {
      await connection.execute(text, [], 'run', ctx);
      return;
    } catch (error) {
      if (isConnectionLost(error)) throw error;
      await connection.execute(`rollback to savepoint ${SAVEPOINT}`, [], 'run', ctx);
    }
    // The rollback undid the claim too (its lock included): claim again, failing as it did if it failed.
    if (first) await connection.execute(first, [], 'run', ctx);
    for (const planned of batch) await runOneByOne(connection, planned, direction, ctx, consequence);
  };
  // A revision that touched the database while a batch waited is planned again once it is sent.
  const plan = async (revision: Revision): Promise<Planned> => {
    for (;;) {
      const migration = instantiate(db, revision);
      if (batching) guardDatabaseUse(migration, () => waiting.length > 0 || unclaimed !== undefined);
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

/**
 * The statements of a transactional plain-SQL revision, planned outside any transaction on one
 * instance; undefined when the revision is not transactional, not plain SQL (a query builder) or
 * touches the database in `up()`/`down()` (the guard stops it before anything runs): those run
 * the general way.
 */
async function plainStatements(db: Database, revision: Revision, direction: Direction, consequence: string): Promise<string[] | undefined> {
  const migration = instantiate(db, revision);
  if (migration.isTransactional() === false) return undefined;
  guardDatabaseUse(migration, () => true);
  let queries: unknown[];
  try {
    queries = await queriesOf(migration, direction);
  } catch (error) {
    if (error === SEND_BATCH_FIRST) return undefined;
    throw failure(revision, direction, consequence, error);
  }
  return queries.every((sql) => typeof sql === 'string') ? (queries as string[]) : undefined;
}

/** See commitEach. */
const GROUP_COMMIT = 'set local synchronous_commit = off';

/** How commitEach ended: every revision committed, one failed, or the connection was lost. */
type Sent = { failed?: unknown; lost?: unknown; backend?: number };

/**
 * Revisions, a transaction each, in one round trip: each revision's statements between its own
 * BEGIN and COMMIT, all in one string (the simple query protocol runs a string's statements in
 * order). PostgreSQL commits each revision at its COMMIT, as psql does with the same script, and
 * stops at the first error: the revisions before it stay committed, the failing one's transaction
 * is left open and aborted, and is rolled back here, on the same connection (one taken from
 * MikroORM's pool for the purpose: the pool must not get back a connection in a failed
 * transaction). Psql waits for every statement's answer; this waits once for many revisions.
 */
async function commitEach(db: Database, transactions: string[][]): Promise<Sent> {
  const pool = (db.orm.em.getConnection() as PostgreSqlConnection).getKnex().client;
  const client = (await pool.acquireConnection()) as { query(text: string): Promise<unknown>; processID: number; __knex__disposed?: unknown };
  // Group commit: each revision but the last commits without waiting for its WAL to reach the
  // disk; the last one's commit waits, and that flush covers every commit before it. Nothing is
  // reported committed before that, and a revision and its record row are one transaction, so a
  // server crash in between takes back whole revisions, never half of one.
  const text = transactions.flatMap((statements, i) => ['begin', ...(i < transactions.length - 1 ? [GROUP_COMMIT] : []), ...statements, 'commit']);
  try {
    await client.query(text.join('\n;\n'));
    return {};
  } catch (error) {
    if (isConnectionLost(error)) {
      // The server's FATAL answer comes before its socket closes: knex's pool marks a connection
      // it must not hand out again only on the close, so it is marked here, as knex marks it.
      client.__knex__disposed ??= error;
      return { lost: error, backend: client.processID };
    }
    await client.query('rollback');
    // The revisions before the failing one committed without waiting for the disk: a transaction
    // that commits with an id of its own waits for every commit before it (see GROUP_COMMIT).
    await client.query('select pg_current_xact_id()');
    return { failed: error };
  } finally {
    await pool.releaseConnection(client);
  }
}

/** How many of `batch`, from its first, the record shows committed. */
async function committedOf(db: Database, batch: Revision[], direction: Direction): Promise<number> {
  const recorded = new Set(await appliedNames(db));
  const count = batch.findIndex((revision) => recorded.has(revision.name) !== (direction === 'up'));
  return count === -1 ? batch.length : count;
}

/**
 * How many of `batch` committed before commitEach's connection was lost; undefined when the
 * server cannot tell now. Its server process may outlive the connection (a network fault) and
 * go on committing: it is ended first, waiting up to 5 s, so the count cannot change after.
 */
async function committedAfterLoss(db: Database, batch: Revision[], direction: Direction, backend: number): Promise<number | undefined> {
  try {
    await db.orm.em
      .getConnection()
      .execute(
        `select pg_terminate_backend(pid, 5000) from pg_stat_activity where pid = ${backend} and usename = current_user and datname = current_database()`,
      );
    return await committedOf(db, batch, direction);
  } catch {
    return undefined;
  }
}

/** MikroORM's `disableForeignKeys`, as its migrator does it (needs a superuser). */
const DISABLE_FOREIGN_KEYS = `set local session_replication_role = 'replica'`;

export interface ApplyOptions {
  /** Commit after each revision (`--transaction-per-migration`) instead of once for the run. */
  perMigration?: boolean;
  /** Runs first, inside the first transaction (e.g. creating the record table). */
  prepare?: (ctx?: Transaction) => Promise<void>;
  /** Records what a batch did, inside the batch's transaction (none for a non-transactional one). */
  record: (revisions: Revision[], ctx?: Transaction) => Promise<void>;
  /**
   * `prepare`'s and `record`'s statements as text: given both (or `recordSql` alone when there is
   * no `prepare`), revisions in transactions of their own go to the server many in one string,
   * each with its own record row (see commitEach).
   */
  prepareSql?: () => string;
  recordSql?: (revisions: Revision[]) => string;
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
  const compiling = compileAhead(
    revisions.map((r) => r.path),
    () => localStatePath(db.project, 'compiled'),
  );
  const connection = db.orm.em.getConnection();
  const lock = heldLockOf(db);
  // MikroORM's own options: `transactional: false` runs every revision outside a transaction,
  // `allOrNothing: false` commits each on its own, `disableForeignKeys` defers no constraint
  // but skips them (session_replication_role, as MikroORM does; needs a superuser).
  const settings = db.orm.config.get('migrations');
  const perMigration = options.perMigration || settings.allOrNothing === false;
  const done: Revision[] = [];
  const where: Progress = { direction, done };
  let prepared = !options.prepare;
  let next = 0;
  const nextIsTransactional = async () => {
    await compiling.ready(revisions[next].path);
    return settings.transactional !== false && isTransactional(db, revisions[next]);
  };
  // Before each revision and each commit: a run whose lock is gone stops (see LockLost).
  const stillLocked = (at: string) => {
    const reason = lock?.lostReason();
    if (reason !== undefined) throw new LockLost(`The migration lock was lost ${at} (${reason})`);
  };
  const before = (revision: Revision) => `before revision ${revision.id} (${revision.description})`;
  const kept = () =>
    done.length ? `${ids(done)} ${done.length === 1 ? 'was' : 'were'} ${direction === 'up' ? 'applied' : 'reverted'} and committed before it; ` : '';
  const rolledBack = () => (done.length ? `${kept()}the rest was rolled back. Fix the revision and run the command again.` : NOTHING_CHANGED);
  const together =
    perMigration &&
    !db.offline &&
    settings.transactional !== false &&
    options.recordSql !== undefined &&
    (!options.prepare || options.prepareSql !== undefined);
  // Asked once, before the first round trip: see quickClaim. Unanswered, the names are looked up.
  const refusesDuplicates = together && lock && direction === 'up' ? recordRefusesDuplicates(db).catch(() => false) : Promise.resolve(false);
  /**
   * The plain-SQL revisions from `from` on (about BATCH_STATEMENTS statements), each as the
   * statements of its own transaction: its claim, its SQL and its record row (see quickClaim),
   * the lock check. It ends before a revision that is not plain SQL or not transactional, and
   * before one whose planning fails: that one is planned again on its own (`ahead` false), so its
   * message says what the revisions before it left. Planned `ahead`, while the round trip before
   * it runs, it never fails and never carries `prepare`: it is used only once that round trip
   * committed all.
   */
  const planTogether = async (from: number, ahead: boolean): Promise<{ batch: Revision[]; transactions: string[][] }> => {
    const batch: Revision[] = [];
    const transactions: string[][] = [];
    // The run's first round trip is short, so the server starts while the rest is compiled and planned.
    const budget = from === 0 ? FIRST_BATCH_STATEMENTS : BATCH_STATEMENTS;
    for (let statements = 0; from + batch.length < revisions.length && statements < budget;) {
      const revision = revisions[from + batch.length];
      let planned: string[] | undefined;
      try {
        // The first round trip's few revisions compile on their own (loadModule) rather than wait
        // for the background build, whose later chunks' work would hold them up.
        if (from > 0) await compiling.ready(revision.path);
        planned = await plainStatements(db, revision, direction, rolledBack());
      } catch (error) {
        if (batch.length === 0 && !ahead) throw error;
        break;
      }
      if (!planned) break;
      const claim = lock && quickClaim(db, revision, direction, await refusesDuplicates);
      const record = options.recordSql!([revision]);
      transactions.push([
        ...(prepared || ahead || batch.length > 0 ? [] : [options.prepareSql!()]),
        ...(settings.disableForeignKeys ? [DISABLE_FOREIGN_KEYS] : []),
        ...(claim ? [claim.sql] : []),
        ...(claim && claim.recordFirst ? [record, ...planned] : [...planned, record]),
        ...(lock ? [lock.heldSql()] : []),
      ]);
      batch.push(revision);
      statements += planned.length;
    }
    return { batch, transactions };
  };
  /** The next round trip's revisions, planned while the one before it runs. */
  let ahead: { from: number; planned: Promise<{ batch: Revision[]; transactions: string[][] }> } | undefined;
  /**
   * Sends the next plain-SQL revisions in one round trip (commitEach), a transaction each, and
   * plans the ones after them meanwhile. Returns false when the next revision is to run the
   * general way: it is not plain SQL or not transactional, or it failed here, and the general
   * way names its failing statement exactly as it always does.
   */
  const commitTogether = async (): Promise<boolean> => {
    const early = ahead;
    ahead = undefined;
    const { batch, transactions } = early?.from === next ? await early.planned : await planTogether(next, false);
    if (batch.length === 0) return false;
    where.current = batch[0];
    where.inTransaction = true;
    stillLocked(before(batch[0]));
    for (const revision of batch) options.announce?.(revision, true);
    where.committing = batch;
    const sent = commitEach(db, transactions);
    // Anything planning cannot settle leaves the revisions to the general way, which reports it.
    ahead = { from: next + batch.length, planned: planTogether(next + batch.length, true).catch(() => ({ batch: [], transactions: [] })) };
    const { failed, lost, backend } = await sent;
    let committed: number | undefined = batch.length;
    if (lost) committed = await committedAfterLoss(db, batch, direction, backend!);
    else if (failed) {
      // A revision a claim refused is in the record as another run left it: there the record
      // cannot tell where this round trip stopped, and the refusal does.
      const refused = refusedByQuickClaim(failed, batch);
      committed = refused >= 0 ? refused : await committedOf(db, batch, direction);
    }
    // Unknown after a lost connection: the message names the whole batch as maybe committed.
    if (committed === undefined) throw lost;
    where.committing = undefined;
    done.push(...batch.slice(0, committed));
    next += committed;
    prepared ||= committed > 0;
    where.current = revisions[next];
    if (lost) throw lost;
    if (!failed) return true;
    if ((failed as { code?: string })?.code === LOCK_GONE) {
      throw new LockLost(`The migration lock was lost before committing ${batch[committed].id} (${lock?.lostReason() ?? driverMessage(failed)})`);
    }
    return false;
  };
  try {
    while (next < revisions.length) {
      if (together && (await commitTogether())) continue;
      if (await nextIsTransactional()) {
        const group: Revision[] = [];
        // The revisions of this transaction: up to the next non-transactional one, or just one.
        async function* transactionalRun(): AsyncGenerator<Revision> {
          do {
            where.current = revisions[next];
            where.inTransaction = true;
            stillLocked(before(revisions[next]));
            group.push(revisions[next]);
            yield revisions[next++];
          } while (!perMigration && next < revisions.length && (await nextIsTransactional()));
        }
        const claim =
          lock &&
          claimSql(
            db,
            (perMigration ? [revisions[next]] : revisions.slice(next)).map((r) => r.name),
            direction,
          );
        await connection.transactional(async (ctx) => {
          if (!prepared) await options.prepare!(ctx);
          if (settings.disableForeignKeys) await connection.execute(DISABLE_FOREIGN_KEYS, [], 'run', ctx);
          await runRevisions(db, transactionalRun(), direction, ctx, rolledBack(), (revision) => options.announce?.(revision, true), claim);
          stillLocked(group.length === 1 ? `before committing ${group[0].id}` : `before committing its ${group.length} revisions`);
          await options.record(group, ctx);
          where.committing = group;
        });
        where.committing = undefined;
        done.push(...group);
      } else {
        const revision = revisions[next++];
        where.current = revision;
        where.inTransaction = false;
        stillLocked(before(revision));
        if (!prepared) await options.prepare!();
        options.announce?.(revision, false);
        await runRevisions(
          db,
          [revision],
          direction,
          undefined,
          `${kept()}it runs outside a transaction, so its statements before the failing one stay applied and it is not recorded. ` +
            `Check the database, make its statements safe to repeat (IF NOT EXISTS), and run the command again.`,
        );
        where.committing = [revision];
        await options.record([revision]);
        where.committing = undefined;
        done.push(revision);
      }
      prepared = true;
    }
  } catch (error) {
    throw stopped(error, where);
  } finally {
    compiling.stop();
  }
}

/** Thrown between revisions once the migration lock's connection is gone. */
class LockLost extends Error {}

/** Where a run of applyRevisions stands, for the message when it stops. */
interface Progress {
  direction: Direction;
  /** Revisions committed so far, in order. */
  done: Revision[];
  /** The revision running (or about to run), and whether in a transaction. */
  current?: Revision;
  inTransaction?: boolean;
  /** Revisions whose commit was sent, not yet confirmed. */
  committing?: Revision[];
}

/** Revisions in a phrase: each of a few; the first and the last of many, so a line stays readable after a thousand. */
const ids = (revisions: Revision[]) =>
  revisions.length <= 5 ? revisions.map((r) => r.id).join(', ') : `the ${revisions.length} revisions ${revisions[0].id} to ${revisions.at(-1)!.id}`;

/** The revisions a run committed, in a phrase. */
function committedSoFar({ direction, done }: Progress): string {
  const verb = direction === 'up' ? 'applied' : 'reverted';
  return done.length ? `${ids(done)} ${done.length === 1 ? 'was' : 'were'} ${verb} and committed` : `nothing was ${verb}`;
}

/** What a stopped run left: what it committed, and what became of the revision it was at. */
function leftBehind(progress: Progress, during: boolean): string {
  const { direction, current, inTransaction } = progress;
  const verb = direction === 'up' ? 'applied' : 'reverted';
  const committed = committedSoFar(progress);
  if (!inTransaction && during && current) {
    return `${committed}; ${current.id} runs outside a transaction, so its statements that ran stay ${verb}, and it is not recorded`;
  }
  return `${committed}${inTransaction ? ', the open transaction was rolled back' : ''}`;
}

/**
 * The one line for a run that stopped because the database is no longer as it was: its lock's
 * connection ended, its own connection was lost, or another run changed the record meanwhile.
 * Any other error is passed on as it is.
 */
function stopped(error: unknown, progress: Progress): unknown {
  const { current, committing, inTransaction } = progress;
  if (error instanceof LockLost) {
    return new UserError(
      `${error.message}; another run may be migrating now, so this one stopped: ${leftBehind(progress, false)}. ` +
        `Run the command again: it waits for the lock and starts from what the record holds.`,
    );
  }
  if ((error as { code?: string })?.code === CLAIM_REFUSED) {
    return new UserError(
      `Another run ${progress.direction === 'up' ? 'applied' : 'reverted'} ${driverMessage(error)} while this one waited (its migration lock was lost, or it took none); ` +
        `this run stopped: ${leftBehind(progress, false)}. Run the command again: it starts from what the record holds now.`,
    );
  }
  if (!(error instanceof UserError) && isConnectionLost(error)) {
    const reason = driverMessage(error);
    if (committing) {
      return new UserError(
        `The connection to PostgreSQL was lost before it confirmed the commit of ${ids(committing)} (${reason}): PostgreSQL may or may not have committed ${committing.length === 1 ? 'it' : 'them'} ('veloiq db current' tells)` +
          `${progress.done.length ? `; ${committedSoFar(progress)} before` : ''}. ` +
          `Run the command again once the server answers: the migration lock and the record make that safe.`,
      );
    }
    return new UserError(
      `The connection to PostgreSQL was lost${current && !inTransaction ? ` during revision ${current.id} (${current.description})` : ''} (${reason}): ${leftBehind(progress, true)}. ` +
        `Run the command again once the server answers: the migration lock and the record make that safe.`,
    );
  }
  return error;
}
