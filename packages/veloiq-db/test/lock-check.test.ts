// The check a transaction makes before its commit that the run still holds the migration lock
// (HeldLock.heldSql, sent inside each transaction of a round trip): it passes while the lock
// connection lives, and fails with LOCK_GONE once that connection has ended, even after another
// run took the migration lock over. Real PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { withEnvironment } from '../src/commands/session';
import { acquireLock, lockKey, LOCK_GONE } from '../src/core/lock';
import { openDatabase, type Database } from '../src/core/orm';
import { findProject } from '../src/core/project';
import { until } from './safety-fixtures';
import { copySample, createTestDatabase, missingSystemPg, type TestDatabase, type TestProject } from './support';

describe('the lock check before each commit', async () => {
  const skip = await missingSystemPg();
  let project: TestProject;
  let db: TestDatabase;
  let opened: Database;
  const clients: Client[] = [];
  const connect = async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    clients.push(client);
    return client;
  };

  before(async () => {
    if (skip) return;
    project = copySample();
    db = await createTestDatabase('vq_lockcheck');
    opened = await withEnvironment({ DATABASE_URL: db.url }, () => openDatabase(findProject(project.root)));
  });
  after(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
    await opened?.close();
    await db?.drop();
    project?.remove();
  });

  /** Runs the check in a transaction of its own, as the runner does before a commit. */
  async function check(client: Client, sql: string): Promise<unknown> {
    await client.query('begin');
    try {
      await client.query(sql);
      return undefined;
    } catch (error) {
      return error;
    } finally {
      await client.query('rollback');
    }
  }

  test('passes while the lock is held; fails with LOCK_GONE once its connection ended and another run took the lock', { skip }, async () => {
    const held = await acquireLock(opened, { command: 'upgrade', timeoutSeconds: 0 });
    const runner = await connect();
    assert.equal(await check(runner, held.heldSql()), undefined, 'the lock is held: the check passes');
    assert.equal(await check(runner, held.heldSql()), undefined, 'and passes again (it takes nothing it keeps)');

    const key = String(lockKey(db.name, 'public', 'mikro_orm_migrations'));
    const holder = async () =>
      (
        await runner.query<{ pid: number }>(
          `select pid from pg_locks where locktype = 'advisory' and granted and ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
          [key],
        )
      ).rows[0]?.pid;
    const lockPid = await holder();
    assert.ok(lockPid, 'the lock connection holds the migration lock');
    await runner.query('select pg_terminate_backend($1)', [lockPid]);
    await until(() => held.lostReason() !== undefined, 'the run to notice its lock connection ended');

    // Another run takes the migration lock over: the check must not take its lock for ours.
    const other = await connect();
    await other.query('select pg_advisory_lock($1)', [key]);
    assert.notEqual(await holder(), lockPid);
    const error = (await check(runner, held.heldSql())) as { code?: string; message?: string } | undefined;
    assert.equal(error?.code, LOCK_GONE, `the check fails: ${error?.message}`);
    assert.match(String(error?.message), /session lock is no longer held/);
    await held.release();
  });
});
