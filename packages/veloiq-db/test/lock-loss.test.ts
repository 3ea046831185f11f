// When the migration lock's connection dies mid-run (pg_terminate_backend, a restart): the run
// that lost it stops with one line, the run that gets the lock next applies what is left, and no
// revision runs or is recorded twice. Also: the record refuses a duplicate name, two first runs
// create the record table side by side, and a lost main connection ends in one line that says
// what is applied. Real PostgreSQL, real processes.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { ensureRecordTable } from '../src/core/record';
import { openDatabase, type Database } from '../src/core/orm';
import { findProject } from '../src/core/project';
import { withEnvironment } from '../src/commands/session';
import { runEngine, startEngine, until, writeRevision } from './safety-fixtures';
import { copySample, createTestDatabase, missingSystemPg, type TestDatabase, type TestProject } from './support';

/** Revisions after the sample's: each counts its own runs in loss_runs. */
const COUNT = 30;
/** The revision that passes the gate: a run stops there while the test holds the gate. */
const GATED = 10;
const GATE = 4242;

function countedBody(n: number): string {
  const gate = n === GATED ? `\n    this.addSql('select pg_advisory_lock(${GATE})');\n    this.addSql('select pg_advisory_unlock(${GATE})');` : '';
  return `    this.addSql("insert into loss_runs (rev) values ('${n}')");${gate}`;
}

/** Holds the gate: a run that reaches revision GATED waits until open() is called. */
async function closeGate(db: TestDatabase): Promise<{ open(): Promise<void> }> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  await client.query(`select pg_advisory_lock(${GATE})`);
  return { open: () => client.end() };
}

/** The sessions waiting at the gate (pg_locks: a statement batch may be longer than pg_stat_activity shows). */
const WAITING_AT_GATE = `select pid from pg_locks where locktype = 'advisory' and not granted and classid = 0 and objid = ${GATE} and objsubid = 1`;

async function atGate(db: TestDatabase): Promise<boolean> {
  return (await db.query(WAITING_AT_GATE)).length > 0;
}

/** Ends a run's lock connection (named after its process id), or the connection waiting at the gate. */
async function terminate(db: TestDatabase, which: { lockOf: number } | 'at the gate'): Promise<number> {
  const rows =
    which === 'at the gate'
      ? await db.query(`select pg_terminate_backend(pid) from (${WAITING_AT_GATE}) waiting`)
      : await db.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name like $1`, [
          `veloiq db % pid ${which.lockOf}@%`,
        ]);
  return rows.length;
}

/** The one error line of a failed run: no stack, no second line. */
function oneLine(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .filter((line) => !/^Waiting/.test(line));
  assert.equal(lines.length, 1, `one line:\n${stderr}`);
  return lines[0];
}

describe('lock lost, connection lost', async () => {
  const skip = await missingSystemPg();
  let project: TestProject;
  let names: string[];
  const databases: TestDatabase[] = [];
  const fresh = async () => {
    const db = await createTestDatabase('vq_loss');
    databases.push(db);
    return db;
  };

  before(() => {
    project = copySample();
    writeRevision(project.migrations, 'mx000000', 'runs_table', ['create table loss_runs (rev text not null)']);
    for (let n = 1; n <= COUNT; n++) writeRevision(project.migrations, `mx0000${String(n).padStart(2, '0')}`, `counted_${n}`, [], { body: countedBody(n) });
    names = readdirSync(project.migrations)
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
  });
  after(async () => {
    for (const db of databases) await db.drop();
    project?.remove();
  });

  /** Every revision recorded once and run once (loss_runs counts runs that committed). */
  async function exactlyOnce(db: TestDatabase): Promise<void> {
    const applied = await db.applied();
    assert.deepEqual([...applied].sort(), names, 'every revision recorded, none twice');
    const runs = await db.query<{ rev: string; n: number }>('select rev, count(*)::int as n from loss_runs group by rev order by rev::int');
    assert.deepEqual(
      runs,
      Array.from({ length: COUNT }, (_, i) => ({ rev: String(i + 1), n: 1 })),
      'every revision ran once',
    );
  }

  /** A stops at the gate; B waits for the lock; A's lock connection is ended; the gate opens. */
  async function loseTheLock(db: TestDatabase, options: object) {
    const gate = await closeGate(db);
    const a = startEngine('upgrade', project.root, options, { DATABASE_URL: db.url });
    try {
      await until(async () => (await atGate(db)) || a.child.exitCode !== null, 'run A to reach the gate', 120_000);
      assert.equal(a.child.exitCode, null, `A ended early: ${a.output.stderr}`);
      const b = startEngine('upgrade', project.root, { ...options, lockTimeout: 300 }, { DATABASE_URL: db.url });
      await until(() => /Waiting/.test(b.output.stderr) || b.child.exitCode !== null, 'run B to wait for the lock', 120_000);
      assert.equal(await terminate(db, { lockOf: a.child.pid! }), 1, "A's lock connection ended");
      await gate.open();
      return { a: { code: await a.exited, ...a.output }, b: { code: await b.exited, ...b.output } };
    } finally {
      await gate.open().catch(() => undefined);
      a.child.kill();
    }
  }

  test('--transaction-per-migration: A stops before its next revision naming what it committed; B applies the rest; nothing runs twice', { skip }, async () => {
    const db = await fresh();
    const { a, b } = await loseTheLock(db, { transactionPerMigration: true });
    assert.equal(a.code, 1, `A must fail: ${a.stdout}${a.stderr}`);
    assert.match(
      oneLine(a.stderr),
      /^The migration lock was lost before (revision mx\w+ \(counted \d+\)|committing mx\w+) \(.+\); another run may be migrating now, so this one stopped: (\w+(, \w+)*|the \d+ revisions \w+ to \w+) were applied and committed, the open transaction was rolled back\. Run the command again/,
    );
    // B got the lock as A went on; in the rare case that A committed a revision after B read
    // the record, B refuses it (no run twice) and says so; a next run completes.
    if (b.code !== 0) assert.match(oneLine(b.stderr), /^Another run applied mx\w+ while this one waited/);
    else assert.match(b.stdout, /revisions? applied/);
    const again = await runEngine('upgrade', project.root, {}, { DATABASE_URL: db.url });
    assert.equal(again.code, 0, again.stderr);
    await exactlyOnce(db);
  });

  test('one transaction, first run on an empty database: A rolls back, B creates the record table and applies everything', { skip }, async () => {
    const db = await fresh();
    const { a, b } = await loseTheLock(db, {});
    assert.equal(a.code, 1, `A must fail: ${a.stdout}${a.stderr}`);
    assert.match(
      oneLine(a.stderr),
      /^The migration lock was lost before (revision mx\w+|committing) .*: nothing was applied, the open transaction was rolled back\. Run the command again/,
    );
    assert.equal(b.code, 0, `B must succeed: ${b.stdout}${b.stderr}`);
    assert.match(b.stdout, new RegExp(`${names.length} revisions applied`));
    await exactlyOnce(db);
  });

  test('the record refuses a second row for an applied revision, whoever writes it', { skip }, async () => {
    const db = await fresh();
    assert.equal((await runEngine('upgrade', project.root, {}, { DATABASE_URL: db.url })).code, 0);
    await assert.rejects(db.query(`insert into mikro_orm_migrations (name) values ($1)`, [names[0]]), /duplicate key value violates unique constraint/);
  });

  test('a record that already holds duplicates (left by a lost lock) is cleaned up and then guarded', { skip }, async () => {
    const db = await fresh();
    assert.equal((await runEngine('upgrade', project.root, { revision: 'mx000002' }, { DATABASE_URL: db.url })).code, 0);
    await db.query('drop index mikro_orm_migrations_name_idx');
    await db.query(`insert into mikro_orm_migrations (name) select name from mikro_orm_migrations where name like 'mx%'`);
    const upgraded = await runEngine('upgrade', project.root, {}, { DATABASE_URL: db.url });
    assert.equal(upgraded.code, 0, upgraded.stderr);
    assert.deepEqual(await db.applied(), names, 'one row per revision, in the order first applied');
    await assert.rejects(db.query(`insert into mikro_orm_migrations (name) values ($1)`, [names[0]]), /duplicate key/);
  });

  test('two first runs that create the record table side by side: the second waits, both succeed', { skip }, async () => {
    const db = await fresh();
    const open: Database[] = [];
    try {
      const opened = () => openDatabase(findProject(project.root));
      const [one, two] = await withEnvironment({ DATABASE_URL: db.url }, async () => [await opened(), await opened()]);
      open.push(one, two);
      let created!: () => void;
      const firstCreated = new Promise<void>((resolve) => (created = resolve));
      let release!: () => void;
      const holdOpen = new Promise<void>((resolve) => (release = resolve));
      const first = one.orm.em.getConnection().transactional(async (ctx) => {
        await ensureRecordTable(one, ctx);
        created();
        await holdOpen; // the table exists, uncommitted, while the second run creates it too
      });
      await firstCreated;
      const second = two.orm.em.getConnection().transactional((ctx) => ensureRecordTable(two, ctx));
      await until(
        async () => (await db.query(`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).length > 0,
        'the second run to wait',
      );
      release();
      await first;
      await second;
      assert.deepEqual(await db.tables(), ['mikro_orm_migrations']);
    } finally {
      for (const db of open) await db.close();
    }
  });

  for (const mode of ['one transaction', '--transaction-per-migration'] as const) {
    test(`the main connection ended mid-run (${mode}): one line saying what is applied; the next run completes`, { skip }, async () => {
      const db = await fresh();
      const perMigration = mode !== 'one transaction';
      const gate = await closeGate(db);
      const run = startEngine('upgrade', project.root, { transactionPerMigration: perMigration }, { DATABASE_URL: db.url });
      try {
        await until(async () => (await atGate(db)) || run.child.exitCode !== null, 'the run to reach the gate', 120_000);
        assert.equal(await terminate(db, 'at the gate'), 1, `the run waits at the gate: ${run.output.stderr}`);
      } finally {
        await gate.open();
      }
      assert.equal(await run.exited, 1, run.output.stdout);
      const line = oneLine(run.output.stderr);
      assert.match(line, /^The connection to PostgreSQL was lost .*Run the command again once the server answers/);
      assert.match(
        line,
        perMigration ? /(\w+(, \w+)*|the \d+ revisions \w+ to \w+) were applied and committed/ : /nothing was applied, the open transaction was rolled back/,
      );
      assert.doesNotMatch(line, /savepoint|Error:|    at /);
      const next = await runEngine('upgrade', project.root, {}, { DATABASE_URL: db.url });
      assert.equal(next.code, 0, next.stderr);
      await exactlyOnce(db);
    });
  }
});
