// The migration lock: parallel runs apply every revision exactly once; a run waits for the lock,
// says who holds it, and gives up after --lock-timeout. Real PostgreSQL, real processes.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { lockKey } from '../src/core/lock';
import { runEngine, snapshotDatabase, startEngine, until, writeRevision } from './safety-fixtures';
import { SAMPLE, copySample, createTestDatabase, missingSystemPg, veloiq, type TestDatabase, type TestProject } from './support';

/** The sample's revisions as they are now (others may add revisions while these tests run). */
function revisionNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
}

/** Holds the migration lock of `db` from a session of the test's own, named `holder`. */
async function holdLock(db: TestDatabase, applicationName: string): Promise<Client> {
  const client = new Client({ connectionString: db.url, application_name: applicationName });
  await client.connect();
  await client.query('select pg_advisory_lock($1)', [String(lockKey(db.name, 'public', 'mikro_orm_migrations'))]);
  return client;
}

describe('migration lock', async () => {
  const skip = await missingSystemPg();
  const databases: TestDatabase[] = [];
  let project: TestProject;
  let names: string[];
  const fresh = async () => {
    const db = await createTestDatabase('vq_lock');
    databases.push(db);
    return db;
  };

  before(() => {
    project = copySample();
    // Enough revisions, one of them slow, that parallel runs overlap for real.
    writeRevision(project.migrations, 'mx000001', 'slow_step', ['create table "lock_audit" ("id" serial primary key)', 'select pg_sleep(0.5)']);
    writeRevision(project.migrations, 'mx000002', 'add_lock_note', ['alter table "lock_audit" add column "note" varchar(40)']);
    writeRevision(project.migrations, 'mx000003', 'create_lock_tags', ['create table "lock_tag" ("id" serial primary key, "name" text not null)']);
    names = revisionNames(project.migrations);
  });
  after(async () => {
    for (const db of databases) await db.drop();
    project?.remove();
  });

  // Four, not eight as the engine test below: each `veloiq db upgrade` is a whole `nx run` (seconds
  // of CPU), and four already make three wait for the one that applies.
  test('4 parallel `veloiq db upgrade` on one fresh database: all succeed, each revision recorded once', { skip }, async () => {
    const db = await fresh();
    const sampleNames = revisionNames(join(SAMPLE, 'backend/migrations'));
    const runs = await Promise.all(Array.from({ length: 4 }, () => veloiq(['db', 'upgrade'], { cwd: SAMPLE, env: { DATABASE_URL: db.url } })));
    runs.forEach((r, i) => assert.equal(r.code, 0, `run ${i} failed:\n${r.stdout}\n${r.stderr}`));
    assert.deepEqual(await db.applied(), sampleNames, 'each revision recorded once, in order');
    // Each revision was applied by exactly one run; the others waited and saw it done.
    const appliedByRuns = runs.flatMap((r) => [...r.stdout.matchAll(/^Applied (\w+) /gm)].map((m) => m[1])).sort();
    assert.deepEqual(
      appliedByRuns,
      sampleNames.map((name) => name.slice(0, 8)),
    );
    assert.deepEqual(await db.tables(), ['mikro_orm_migrations', 'orders', 'product']);
    assert.equal(runs.filter((r) => /Already at head/.test(r.stdout)).length, 3, 'the other runs saw what was done');
  });

  test('8 parallel engine runs with a slow revision: every revision once, every table once', { skip }, async () => {
    const db = await fresh();
    const runs = await Promise.all(Array.from({ length: 8 }, () => runEngine('upgrade', project.root, {}, { DATABASE_URL: db.url })));
    runs.forEach((r, i) => assert.equal(r.code, 0, `run ${i} failed:\n${r.stdout}\n${r.stderr}`));
    assert.deepEqual((await db.applied()).sort(), names, 'every revision recorded exactly once');
    const tables = await db.tables();
    assert.ok(
      ['lock_audit', 'lock_tag', 'mikro_orm_migrations', 'orders', 'product'].every((t) => tables.includes(t)),
      tables.join(),
    );
    assert.equal(runs.filter((r) => new RegExp(`${names.length} revisions applied`).test(r.stdout)).length, 1, 'one run applied them all');
    assert.equal(runs.filter((r) => /Already at head/.test(r.stdout)).length, 7, 'the others saw it');
  });

  test('a run waits for the lock, names who holds it once, then sees the state and applies', { skip }, async () => {
    const db = await fresh();
    const holder = await holdLock(db, 'deploy-job-42');
    const waiting = startEngine('upgrade', project.root, { lockTimeout: 120 }, { DATABASE_URL: db.url });
    try {
      await until(() => /Waiting/.test(waiting.output.stderr), 'the waiting line');
      assert.match(
        waiting.output.stderr,
        /Waiting up to 120 s for the migration lock on vq_lock_\w+ \(public\.mikro_orm_migrations\), held by 'deploy-job-42' \(PostgreSQL pid \d+, user postgres, from 127\.0\.0\.1/,
      );
      assert.deepEqual(await db.tables(), [], 'nothing happens while it waits');
      // While it waits, the holder applies the first revision: the waiter must see it.
      await holder.query(
        'create table "product" ("id" serial primary key, "name" varchar(200) not null, "price_cents" int not null, "created_at" timestamptz not null)',
      );
      await holder.query('create table mikro_orm_migrations (id serial primary key, name varchar(255), executed_at timestamptz default current_timestamp)');
      await holder.query(`insert into mikro_orm_migrations (name) values ('mwwxueww_create_product_table')`);
    } finally {
      await holder.end();
    }
    assert.equal(await waiting.exited, 0, waiting.output.stderr);
    assert.equal(waiting.output.stderr.match(/Waiting/g)?.length, 1, 'the waiting line is printed once');
    assert.match(waiting.output.stdout, new RegExp(`${names.length - 1} revisions applied`), 'all but the one applied meanwhile');
    assert.deepEqual((await db.applied()).sort(), names);
  });

  test('past --lock-timeout it fails with a clear message and changes nothing', { skip }, async () => {
    const db = await fresh();
    const holder = await holdLock(db, 'stuck-replica');
    try {
      const before = await snapshotDatabase(db);
      const timedOut = await runEngine('upgrade', project.root, { lockTimeout: 1 }, { DATABASE_URL: db.url });
      assert.equal(timedOut.code, 1);
      assert.match(
        timedOut.stderr,
        /Gave up after 1 s waiting for the migration lock on vq_lock_\w+ \(public\.mikro_orm_migrations\), held by 'stuck-replica'.*pg_terminate_backend\(\d+\).*raise --lock-timeout/,
      );
      assert.doesNotMatch(timedOut.stderr, /\n.*\n.*\n/, 'one waiting line and one error line, no stack');
      const immediate = await runEngine('upgrade', project.root, { lockTimeout: 0 }, { DATABASE_URL: db.url });
      assert.equal(immediate.code, 1);
      assert.match(immediate.stderr, /The migration lock on .* is held by 'stuck-replica'.*--lock-timeout/);
      assert.doesNotMatch(immediate.stderr, /Waiting/);
      assert.equal(await snapshotDatabase(db), before);
    } finally {
      await holder.end();
    }
  });

  test('the lock belongs to one database: a lock held on another one does not block', { skip }, async () => {
    const [a, b] = [await fresh(), await fresh()];
    const holder = await holdLock(a, 'other-db');
    try {
      const result = await runEngine('upgrade', project.root, { lockTimeout: 0 }, { DATABASE_URL: b.url });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual((await b.applied()).sort(), names);
    } finally {
      await holder.end();
    }
  });

  test('every command that changes state takes the lock; the read-only ones do not wait for it', { skip }, async () => {
    const db = await fresh();
    assert.equal((await runEngine('upgrade', project.root, {}, { DATABASE_URL: db.url })).code, 0);
    const holder = await holdLock(db, 'busy-deploy');
    try {
      const before = await snapshotDatabase(db);
      const changers: [string, object][] = [
        ['upgrade', {}],
        ['downgrade', { revision: '-1' }],
        ['stamp', { revision: 'base' }],
        ['migrate', { message: 'anything' }],
      ];
      for (const [command, options] of changers) {
        const result = await runEngine(command, project.root, { ...options, lockTimeout: 0 }, { DATABASE_URL: db.url });
        assert.equal(result.code, 1, `${command}: ${result.stdout}${result.stderr}`);
        assert.match(result.stderr, /The migration lock on .* is held by 'busy-deploy'/, command);
      }
      for (const command of ['current', 'history']) {
        const result = await runEngine(command, project.root, {}, { DATABASE_URL: db.url });
        assert.equal(result.code, 0, `${command}: ${result.stderr}`);
        assert.doesNotMatch(result.stderr, /Waiting/);
      }
      assert.equal(await snapshotDatabase(db), before);
    } finally {
      await holder.end();
    }
  });

  test('a bad --lock-timeout is refused before connecting', { skip }, async () => {
    const db = await fresh();
    for (const value of ['soon', -5, '']) {
      const result = await runEngine('upgrade', project.root, { lockTimeout: value }, { DATABASE_URL: db.url });
      if (value === '') {
        assert.equal(result.code, 0, 'an empty value means the default');
        continue;
      }
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`Invalid --lock-timeout '${value}'`));
    }
  });
});
