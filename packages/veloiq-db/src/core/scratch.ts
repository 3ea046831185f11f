import { randomBytes } from 'node:crypto';
import { MikroORM } from '@mikro-orm/core';
import { driverMessage, UserError } from './errors';
import type { Database } from './orm';
import { quoteIdentifier as quote } from './sql-text';

/**
 * Runs `work` against a new, empty database on the same server as `db` (same config, another
 * database name) and drops it afterwards, whatever happens. The project's own database is only
 * used to issue `create database` and `drop database`; its data and schema are never read.
 */
export async function withScratchDatabase<T>(db: Database, work: (scratch: Database) => Promise<T>): Promise<T> {
  const name = `veloiq_scratch_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = db.orm.em.getConnection();
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
    orm = await MikroORM.init({
      ...config,
      clientUrl: base.get('clientUrl'),
      dbName: name,
      baseDir: base.get('baseDir'),
      driverOptions: base.get('driverOptions'),
      ensureDatabase: false,
      debug: false,
      allowGlobalContext: true,
    });
    return await work({ ...db, orm, close: async () => undefined });
  } finally {
    await orm?.close(true);
    await admin.execute(`drop database if exists ${quote(name)} with (force)`);
  }
}
