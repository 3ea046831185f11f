// `status` reads the live database against the revision files: pending revisions, applied ones
// edited or deleted since, names no file has; it fails only on those last two. `check` answers
// from the files alone (a scratch database), so what a live database ran never changes its answer.
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { runEngine, writeRevision } from './safety-fixtures';
import { SAMPLE, copySample, createTestDatabase, missingSystemPg, veloiq, type TestDatabase, type TestProject } from './support';

describe('status', async () => {
  const skip = await missingSystemPg();
  let project: TestProject;
  let db: TestDatabase;
  let names: string[];
  const engine = (command: string, options: object = {}) => runEngine(command, project.root, options, { DATABASE_URL: db.url });
  const upgraded = async () => assert.equal((await engine('upgrade')).code, 0);
  const DRIFT = /^The database ran revisions that differ from the files: /;

  beforeEach(async () => {
    project = copySample();
    writeRevision(project.migrations, 'mx000001', 'status_probe', ['create table "status_item" ("id" serial primary key)']);
    names = readdirSync(project.migrations)
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    db = await createTestDatabase('vq_status');
  });
  afterEach(async () => {
    await db.drop();
    project.remove();
  });

  test('a fresh database: every revision pending, exit 0', { skip }, async () => {
    const result = await engine('status');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines[0], `At base (no revision applied); ${names.length} revisions pending.`);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(' ')[1]),
      names.map((n) => n.slice(0, 8)),
    );
    assert.match(lines.at(-1)!, /^Pending: mx000001 status probe$/);
  });

  test('one revision pending after a partial upgrade; none at head', { skip }, async () => {
    assert.equal((await engine('upgrade', { revision: names.at(-2)!.slice(0, 8) })).code, 0);
    const partial = await engine('status');
    assert.equal(partial.code, 0, partial.stderr);
    assert.equal(partial.stdout.trim(), `At ${names.at(-2)!.slice(0, 8)}; 1 revision pending (head is mx000001).\nPending: mx000001 status probe`);
    await upgraded();
    const atHead = await engine('status');
    assert.equal(atHead.code, 0);
    assert.equal(atHead.stdout.trim(), 'At mx000001 (head).');
  });

  test('an applied file edited since: reported, exit 1, one line on stderr', { skip }, async () => {
    await upgraded();
    appendFileSync(join(project.migrations, 'mx000001_status_probe.ts'), '// edited after it was applied\n');
    const result = await engine('status');
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^Edited since applied: mx000001 status probe$/m);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, DRIFT);
    assert.match(
      result.stderr,
      /applied revision mx000001 changed since it was applied\. If the edit was a mistake, restore the file \(git checkout\)\. .*veloiq db stamp mwwywzue && veloiq db stamp mx000001\./,
    );
  });

  test('an applied file deleted since: reported by name, exit 1', { skip }, async () => {
    await upgraded();
    rmSync(join(project.migrations, 'mx000001_status_probe.ts'));
    const result = await engine('status');
    assert.equal(result.code, 1);
    assert.match(result.stdout.trim(), /^At \w+ \(head\)\.\nRecorded, but no revision file: mx000001_status_probe$/);
    assert.match(result.stderr, /mx000001_status_probe is recorded as applied but no revision file has that name\./);
  });

  test('a name typed into the record by hand: reported, exit 1', { skip }, async () => {
    await upgraded();
    await db.query(`insert into mikro_orm_migrations (name) values ('zz_typed_by_hand')`);
    const result = await engine('status');
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^Recorded, but no revision file: zz_typed_by_hand$/m);
    assert.match(result.stderr, /zz_typed_by_hand is recorded as applied but no revision file has that name/);
  });

  test('check answers from the files alone: a live record that drifted does not change it', { skip }, async () => {
    rmSync(join(project.migrations, 'mx000001_status_probe.ts')); // its table is no entity's
    await upgraded();
    appendFileSync(join(project.migrations, `${names[0]}.ts`), '// edited after it was applied\n');
    await db.query(`insert into mikro_orm_migrations (name) values ('zz_typed_by_hand')`);
    const checked = await engine('check');
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout.trim(), /^No differences: the \d+ revisions in .* hold every entity change\.$/);
    assert.equal((await engine('status')).code, 1, 'status is where that drift shows');
  });

  test('veloiq db status --json: the result alone on stdout, with drift too (exit 1)', { skip }, async () => {
    const result = await veloiq(['db', 'status', '--json'], { cwd: SAMPLE, env: { DATABASE_URL: db.url } });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const sample = readdirSync(join(SAMPLE, 'backend/migrations'))
      .filter((f) => /^[0-9a-z]{8}_.*\.ts$/.test(f))
      .sort();
    const parsed = JSON.parse(result.stdout);
    assert.deepEqual(Object.keys(parsed), ['current', 'headId', 'pending', 'edited', 'missing', 'ok']);
    assert.equal(parsed.current, null);
    assert.equal(parsed.ok, true);
    assert.deepEqual(
      parsed.pending.map((r: { id: string }) => r.id),
      sample.map((f) => f.slice(0, 8)),
      'every revision file is pending on an empty database',
    );
    // Drift: the result is still printed, and the exit code says it failed.
    await db.query('create table mikro_orm_migrations (id serial primary key, name varchar(255), executed_at timestamptz default current_timestamp)');
    await db.query(`insert into mikro_orm_migrations (name) values ('zz_typed_by_hand')`);
    const drifted = await veloiq(['db', 'status', '--json'], { cwd: SAMPLE, env: { DATABASE_URL: db.url } });
    assert.equal(drifted.code, 1, drifted.stdout + drifted.stderr);
    assert.deepEqual(JSON.parse(drifted.stdout).missing, ['zz_typed_by_hand']);
    assert.match(drifted.stderr, /zz_typed_by_hand is recorded as applied but no revision file has that name/);
  });
});
