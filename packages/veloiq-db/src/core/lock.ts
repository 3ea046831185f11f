import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Client, type ClientConfig } from 'pg';
import { firstLine, LockHeldError, rememberSecret, UserError } from './errors';
import type { Database } from './orm';

/** How long a run waits for another one to finish, unless `--lock-timeout` says otherwise. */
export const DEFAULT_LOCK_TIMEOUT_SECONDS = 60;

export interface LockOptions {
  /** Seconds to wait for another run to release the lock; 0 fails at once when it is held. */
  timeoutSeconds?: number;
  /** The command taking the lock (`upgrade`, `downgrade`...), shown to whoever waits for it. */
  command?: string;
  /** Where the one "waiting for ..." line goes (stderr by default). */
  notify?: (line: string) => void;
}

export interface HeldLock {
  release(): Promise<void>;
  /**
   * Why the lock is gone, once its connection has ended or failed (the server then released
   * it, and another run may hold it now); undefined while it is held. Costs no round trip: the
   * connection's own events tell.
   */
  lostReason(): string | undefined;
  /**
   * A statement that fails with LOCK_GONE unless the lock is still held: the check before a
   * commit, for a transaction sent to the server in one string (no round trip of its own).
   */
  heldSql(): string;
}

/** SQLSTATE of HeldLock.heldSql's failure (a class of our own, like record.ts's CLAIM_REFUSED). */
export const LOCK_GONE = 'VQ002';

/** The lock each open database holds, for the runner to check between revisions. */
const heldLocks = new WeakMap<Database, HeldLock>();

/** The migration lock this run holds on `db`, if it took one. */
export function heldLockOf(db: Database): HeldLock | undefined {
  return heldLocks.get(db);
}

/**
 * The advisory lock key: one 64-bit number per database and record table, so runs against the
 * same database and table exclude each other and nothing else. (PostgreSQL already scopes
 * advisory locks to a database; the name is in the key too so the key means the same thing
 * wherever it is printed.)
 */
export function lockKey(database: string, schema: string, table: string): bigint {
  return keyOf(`veloiq-db\0${database}\0${schema}\0${table}`);
}

/**
 * The key of the transaction-level lock every migrating transaction takes on the main connection
 * (see claimSql in record.ts). Not the session lock's key: the run's own lock connection holds
 * that one, and the main connection would wait for it forever.
 */
export function transactionLockKey(schema: string, table: string): bigint {
  return keyOf(`veloiq-db transaction\0${schema}\0${table}`);
}

function keyOf(text: string): bigint {
  return createHash('sha256').update(text).digest().readBigInt64BE(0);
}

/** Parses `--lock-timeout`: seconds, 0 or more (Nx hands numbers over, the CLI may hand text). */
export function parseLockTimeout(value: unknown): number {
  if (value === undefined || value === null || value === '') return DEFAULT_LOCK_TIMEOUT_SECONDS;
  const seconds = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isFinite(seconds) || seconds < 0 || String(value).trim() === '') {
    throw new UserError(
      `Invalid --lock-timeout '${String(value)}': give the seconds to wait for another run, 0 or more (default ${DEFAULT_LOCK_TIMEOUT_SECONDS}).`,
    );
  }
  return seconds;
}

/** The lock connection's settings: the ORM's own connection settings (URL, host, ssl...). */
async function clientConfig(db: Database, command: string): Promise<ClientConfig> {
  const connection = db.orm.em.getConnection();
  const options = connection.getConnectionOptions() as ClientConfig & { password?: unknown };
  const extra = (db.orm.config.get('driverOptions') as { connection?: ClientConfig } | undefined)?.connection ?? {};
  const config: ClientConfig = { ...options, ...extra } as ClientConfig;
  if (typeof config.password === 'function') {
    const password = await (config.password as () => Promise<string | { password: string }>)();
    config.password = typeof password === 'string' ? password : password.password;
  }
  if (typeof config.password === 'string') rememberSecret(config.password);
  // pg_stat_activity shows this to whoever waits for us (63 bytes at most).
  config.application_name = `veloiq db ${command} pid ${process.pid}@${hostname()}`.slice(0, 63);
  config.connectionTimeoutMillis ??= 8000;
  config.keepAlive ??= true;
  return config;
}

interface Holder {
  pid: number;
  application_name: string | null;
  client_addr: string | null;
  usename: string | null;
  held_seconds: number | null;
}

/** pg_locks' columns for a one-number advisory lock key. */
function lockColumns(key: bigint): { classid: string; objid: string } {
  const unsigned = BigInt.asUintN(64, key);
  return { classid: String(unsigned >> 32n), objid: String(unsigned & 0xffffffffn) };
}

/** Who holds the lock, as far as PostgreSQL tells this user (other users' details may be hidden). */
async function holderOf(client: Client, key: bigint): Promise<Holder | undefined> {
  const { classid, objid } = lockColumns(key);
  const { rows } = await client.query<Holder>(
    `select l.pid, a.application_name, host(a.client_addr) as client_addr, a.usename,
            extract(epoch from now() - a.backend_start)::int as held_seconds
       from pg_locks l left join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.objsubid = 1
        and l.database = (select oid from pg_database where datname = current_database())
        and l.classid = $1::oid and l.objid = $2::oid
      limit 1`,
    [classid, objid],
  );
  return rows[0];
}

function describeHolder(holder: Holder | undefined): string {
  if (!holder) return 'another run';
  const who = holder.application_name ? `'${holder.application_name}'` : 'another session';
  const details = [
    `PostgreSQL pid ${holder.pid}`,
    holder.usename && `user ${holder.usename}`,
    holder.client_addr && `from ${holder.client_addr}`,
    holder.held_seconds !== null && `connected ${holder.held_seconds} s ago`,
  ].filter(Boolean);
  return `${who} (${details.join(', ')})`;
}

function seconds(value: number): string {
  return `${value} s`;
}

/**
 * Takes the migration lock: a PostgreSQL session-level advisory lock, held on a connection of
 * its own for the whole command, so a second run waits here (up to the timeout) and then reads
 * the state the first one left. The server releases it when that connection ends, so a killed
 * run never leaves it behind.
 */
export async function acquireLock(db: Database, options: LockOptions = {}): Promise<HeldLock> {
  const timeout = options.timeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS;
  const notify = options.notify ?? ((line: string) => process.stderr.write(line + '\n'));
  const config = await clientConfig(db, options.command ?? 'run');
  const where = `${config.database ?? 'the database'} (${db.recordTable.schema}.${db.recordTable.table})`;
  const key = lockKey(String(config.database ?? ''), db.recordTable.schema, db.recordTable.table);

  const client = new Client(config);
  // A dropped lock connection (server restart, pg_terminate_backend) means the lock is gone:
  // noted here, and checked by the runner before each revision and each commit.
  let lost: string | undefined;
  let released = false;
  client.on('error', (error) => (lost ??= String(error?.message ?? error).split('\n')[0]));
  client.on('end', () => {
    if (!released) lost ??= 'its connection to PostgreSQL ended';
  });
  try {
    await client.connect();
  } catch (error) {
    throw new UserError(
      `Cannot open the connection that holds the migration lock on ${where}: ${firstLine(error)}. Check that the server accepts one more connection.`,
      { cause: error },
    );
  }
  /**
   * A second lock the lock connection holds, under a key of this run alone: while another
   * session holds it, the lock connection is alive and so is the migration lock. Unlike the
   * migration lock's own key, a later run that took over a lost lock never holds this one, and
   * checking it (heldSql) is one lookup in the lock table, where the session's status costs a
   * copy of every backend's.
   */
  const token = randomBytes(8).readBigInt64BE(0);
  const fail = async (error: unknown): Promise<never> => {
    await client.end().catch(() => undefined);
    throw error;
  };
  try {
    // Our own settings for this session: a server-wide statement or idle timeout must neither
    // cut the wait short nor end the session (and so the lock) while the command works.
    await client.query(
      `select set_config(name, '0', false) from pg_settings where name in ('statement_timeout', 'idle_session_timeout', 'idle_in_transaction_session_timeout')`,
    );
    const [{ locked }] = (
      await client.query<{ locked: boolean }>(`select pg_advisory_lock($2), pg_try_advisory_lock($1) as locked`, [String(key), String(token)])
    ).rows;
    if (!locked) {
      const holder = await holderOf(client, key);
      if (timeout === 0) {
        throw new LockHeldError(
          where,
          holder?.pid,
          `The migration lock on ${where} is held by ${describeHolder(holder)}. Wait for that run to finish, or pass --lock-timeout to wait for it.`,
        );
      }
      notify(`Waiting up to ${seconds(timeout)} for the migration lock on ${where}, held by ${describeHolder(holder)}...`);
      // PostgreSQL's limit is 2^31-1 ms (about 24 days); 0 there would mean forever.
      await client.query(`set lock_timeout = ${Math.min(2 ** 31 - 1, Math.max(1, Math.round(timeout * 1000)))}`);
      try {
        await client.query('select pg_advisory_lock($1)', [String(key)]);
      } catch (error) {
        if ((error as { code?: string }).code !== '55P03') throw error;
        const still = await holderOf(client, key).catch(() => holder);
        const stop = still ? ` (or, if it is stuck, end it: select pg_terminate_backend(${still.pid}))` : '';
        throw new LockHeldError(
          where,
          still?.pid,
          `Gave up after ${seconds(timeout)} waiting for the migration lock on ${where}, held by ${describeHolder(still)}. ` +
            `Let that run finish${stop}, or raise --lock-timeout.`,
        );
      }
    }
  } catch (error) {
    if (error instanceof UserError) return fail(error);
    return fail(
      new UserError(`Cannot take the migration lock on ${where}: ${firstLine(error)}. Check the connection and the user's rights.`, { cause: error }),
    );
  }

  const held: HeldLock = {
    async release() {
      if (released) return;
      released = true;
      heldLocks.delete(db);
      // Ending the session releases the lock too; unlocking first lets the next run in at once.
      if (!lost) await client.query('select pg_advisory_unlock($1)', [String(key)]).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
    lostReason: () => lost,
    heldSql() {
      // The token is free only once the lock connection's session has ended: taking it then
      // (for this transaction alone, which the error rolls back) says the migration lock is gone.
      return `do $veloiq$ begin
  if pg_try_advisory_xact_lock(${token}) then
    raise exception using errcode = '${LOCK_GONE}', message = 'its session lock is no longer held';
  end if;
end $veloiq$`;
    },
  };
  heldLocks.set(db, held);
  return held;
}
