// kill -9 in the middle of an upgrade: the database is as before (or, with
// --transaction-per-migration, holds only whole revisions), and the next upgrade completes.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { otherBackends, runEngine, snapshotDatabase, startEngine, until, writeRevision } from './safety-fixtures';
import { SYSTEM_PG, copySample, createTestDatabase, missingSystemPg, type TestDatabase, type TestProject } from './support';

/** A revision that sleeps in the database for as long as VQ_SLEEP says (0 when unset). */
const SLEEPY_BODY = `    this.addSql('create table "kill_marker" ("id" serial primary key)');
    this.addSql(\`select pg_sleep(\${Number(process.env.VQ_SLEEP ?? 0)})\`);
    this.addSql('insert into "kill_marker" default values');`;

describe('killed mid-run', async () => {
  const skip = await missingSystemPg();
  let project: TestProject;
  let names: string[];
  const databases: TestDatabase[] = [];

  before(() => {
    project = copySample();
    writeRevision(project.migrations, 'mx000001', 'sleepy', [], { body: SLEEPY_BODY, down: ['drop table "kill_marker"'] });
    writeRevision(project.migrations, 'mx000002', 'after_sleepy', ['create table "kill_after" ("id" serial primary key)']);
    names = readdirSync(project.migrations)
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
  });
  after(async () => {
    for (const db of databases) await db.drop();
    project?.remove();
  });

  /** Starts an upgrade, waits until it sleeps inside the revision, and kills it with SIGKILL. */
  async function killWhileSleeping(db: TestDatabase, options: object = {}): Promise<void> {
    const run = startEngine('upgrade', project.root, options, { DATABASE_URL: db.url, VQ_SLEEP: '600' });
    try {
      // The statements may reach the server one by one or in one string (whose text
      // pg_stat_activity cuts at 1 kB): look for the sleep itself.
      await until(
        async () => {
          const rows = await db.query(
            `select 1 from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state = 'active' and wait_event = 'PgSleep'`,
          );
          return rows.length > 0 || run.child.exitCode !== null;
        },
        'the revision to start sleeping',
        30_000,
      );
    } catch (error) {
      run.child.kill('SIGKILL');
      throw error;
    }
    assert.equal(run.child.exitCode, null, `the upgrade ended early: ${run.output.stderr}`);
    run.child.kill('SIGKILL');
    await run.exited;
    // The server notices the dead client (within seconds, not the 600 s of the sleep) and rolls back.
    await until(async () => (await otherBackends(SYSTEM_PG, db.name)) === 0, 'the killed run to disappear from the server', 30_000);
  }

  test('kill -9 while a revision runs: nothing applied, nothing recorded; the next upgrade completes', { skip }, async () => {
    const db = await createTestDatabase('vq_kill');
    databases.push(db);
    const before = await snapshotDatabase(db);
    await killWhileSleeping(db);
    assert.equal(await snapshotDatabase(db), before, 'the database is as it was');
    const next = await runEngine('upgrade', project.root, { lockTimeout: 5 }, { DATABASE_URL: db.url });
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stdout, new RegExp(`${names.length} revisions applied`));
    assert.deepEqual(await db.applied(), names);
    assert.deepEqual(await db.query('select count(*)::int as n from kill_marker'), [{ n: 1 }]);
  });

  test('kill -9 with --transaction-per-migration: only whole revisions are recorded', { skip }, async () => {
    const db = await createTestDatabase('vq_kill');
    databases.push(db);
    await killWhileSleeping(db, { transactionPerMigration: true });
    // The revisions before the sleepy one were committed one by one; the sleepy one left no trace.
    const earlier = names.filter((name) => name < 'mx000001');
    assert.deepEqual(await db.applied(), earlier);
    const tables = await db.tables();
    assert.ok(tables.includes('product') && tables.includes('orders'), tables.join());
    assert.ok(!tables.includes('kill_marker'), 'the killed revision left no table');
    const next = await runEngine('upgrade', project.root, { transactionPerMigration: true }, { DATABASE_URL: db.url });
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stdout, /2 revisions applied/);
    assert.deepEqual(await db.applied(), names);
  });
});
