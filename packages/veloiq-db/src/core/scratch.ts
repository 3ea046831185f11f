import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { MikroORM } from '@mikro-orm/core';
import { driverMessage, UserError } from './errors';
import type { Database } from './orm';
import { quoteIdentifier as quote } from './sql-text';

const PREFIX = 'veloiq_scratch_';
/** A scratch database nobody uses and this old is a dead run's, whichever machine made it. */
export const ABANDONED_AFTER_MS = 60 * 60 * 1000;

/** This machine, as it appears in scratch database names: letters and digits only. */
function hostTag(): string {
  return (
    hostname()
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 16) || 'host'
  );
}

/**
 * A scratch database's name says who made it and when (`veloiq_scratch_<host>_<pid>_<ms in base
 * 36>_<random>`, at most 55 characters of PostgreSQL's 63), so a later run can tell a dead run's
 * leftover from a live run's database.
 */
export function scratchName(now = Date.now()): string {
  return `${PREFIX}${hostTag()}_${process.pid}_${now.toString(36)}_${randomBytes(3).toString('hex')}`;
}

export interface ScratchOwner {
  host: string;
  pid: number;
  created: number;
}

export function parseScratchName(name: string): ScratchOwner | undefined {
  const match = /^veloiq_scratch_([a-z0-9]+)_(\d+)_([0-9a-z]+)_[0-9a-f]+$/.exec(name);
  return match ? { host: match[1], pid: Number(match[2]), created: parseInt(match[3], 36) } : undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/** Whether a scratch database nobody is connected to was left by a run that is over. */
function isAbandoned(owner: ScratchOwner, now = Date.now()): boolean {
  if (owner.host === hostTag() && !processAlive(owner.pid)) return true;
  return now - owner.created > ABANDONED_AFTER_MS;
}

/**
 * Drops the scratch databases of runs that were killed before their cleanup: those nobody is
 * connected to whose run is over (its process is gone from this machine, or it is older than
 * ABANDONED_AFTER_MS). A live run is connected to its own, and PostgreSQL refuses to drop a
 * database in use (no FORCE here), so one that gained a session meanwhile is kept. Best effort:
 * a database we may not drop (another user's) stays, and the check goes on.
 */
async function reapAbandoned(admin: ReturnType<Database['orm']['em']['getConnection']>): Promise<void> {
  try {
    const rows = await admin.execute<{ datname: string }[]>(
      `select datname from pg_database d where starts_with(datname, '${PREFIX}') and not exists (select 1 from pg_stat_activity a where a.datid = d.oid)`,
    );
    for (const { datname } of rows) {
      const owner = parseScratchName(datname);
      if (!owner || !isAbandoned(owner)) continue;
      await admin.execute(`drop database if exists ${quote(datname)}`).catch(() => undefined);
    }
  } catch {
    // reaping is housekeeping: never the reason a check fails
  }
}

/**
 * Runs `work` against a new, empty database on the same server as `db` (same config, another
 * database name) and drops it afterwards, whatever happens. The project's own database is only
 * used to issue `create database` and `drop database`; its data and schema are never read.
 */
export async function withScratchDatabase<T>(db: Database, work: (scratch: Database) => Promise<T>): Promise<T> {
  const admin = db.orm.em.getConnection();
  await reapAbandoned(admin);
  const name = scratchName();
  try {
    await admin.execute(`create database ${quote(name)}`);
  } catch (error) {
    throw new UserError(
      `Cannot create a temporary database to replay the revisions (${driverMessage(error)}). Give the database user the CREATEDB privilege, or unset DATABASE_URL to use the embedded PostgreSQL.`,
    );
  }
  let orm: MikroORM | undefined;
  try {
    const config = db.config;
    const base = db.orm.config;
    orm = new MikroORM({
      ...config,
      clientUrl: base.get('clientUrl'),
      dbName: name,
      baseDir: base.get('baseDir'),
      driverOptions: base.get('driverOptions'),
      ensureDatabase: false,
      debug: false,
      allowGlobalContext: true,
    });
    // The entities the project's ORM discovered, not discovered again (what MikroORM.init would
    // do): a second discovery in one process fails for folder-discovered EntitySchemas whose
    // class extends another ('Duplicate entity names are not allowed'), and loads them again.
    const own = orm as unknown as { metadata: unknown; createEntityManager(): void };
    own.metadata = db.orm.getMetadata();
    own.createEntityManager();
    orm.em.getPlatform().init(orm);
    for (const extension of orm.config.get('extensions')) extension.register(orm);
    await orm.connect();
    return await work({ ...db, orm, close: async () => undefined });
  } finally {
    await orm?.close(true);
    await admin.execute(`drop database if exists ${quote(name)} with (force)`);
  }
}
