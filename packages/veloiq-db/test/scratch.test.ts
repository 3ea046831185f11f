// A killed `check` leaves its scratch database behind; the next check drops it. Never one a live
// run uses: not one whose process still runs on this machine, not a recent one from another
// machine, not one with a session, and not one whose name is not ours.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { ABANDONED_AFTER_MS, parseScratchName, scratchName } from '../src/core/scratch';
import { runEngine } from './safety-fixtures';
import { SYSTEM_PG, adminQuery, copySample, createTestDatabase, missingSystemPg, type TestDatabase, type TestProject } from './support';

describe('scratch databases of dead runs', async () => {
  const skip = await missingSystemPg();
  let project: TestProject;
  let db: TestDatabase;
  const created: string[] = [];
  let holder: Client | undefined;

  const host = parseScratchName(scratchName())!.host;
  // A pid that was this machine's and is no more: a process that ran and exited.
  const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  const now = Date.now();
  const tag = Math.random().toString(16).slice(2, 8);
  const name = (who: string, pid: number | string, at: number) => `veloiq_scratch_${who}_${pid}_${at.toString(36)}_${tag}`;
  const leftovers = {
    deadHere: name(host, deadPid, now),
    oldElsewhere: name('otherhostvq', 4242, now - ABANDONED_AFTER_MS - 60_000),
  };
  const kept = {
    liveHere: name(host, process.pid, now),
    recentElsewhere: name('otherhostvq', 4242, now - 60_000),
    deadButConnected: name(host, deadPid, now - ABANDONED_AFTER_MS - 60_000).replace(tag, 'c0ffee'),
    notOurs: `veloiq_scratch_${process.pid}_${tag}ab`,
  };

  before(async () => {
    if (skip) return;
    project = copySample();
    db = await createTestDatabase('vq_reap');
    for (const database of [...Object.values(leftovers), ...Object.values(kept)]) {
      await adminQuery(SYSTEM_PG, `create database "${database}"`);
      created.push(database);
    }
    holder = new Client({ connectionString: SYSTEM_PG.replace(/\/[^/]*$/, `/${kept.deadButConnected}`) });
    await holder.connect();
  });
  after(async () => {
    await holder?.end();
    for (const database of created) await adminQuery(SYSTEM_PG, `drop database if exists "${database}" with (force)`);
    await db?.drop();
    project?.remove();
  });

  test('names say who made them: this machine, this process, now', () => {
    const owner = parseScratchName(scratchName(now))!;
    assert.deepEqual(owner, { host, pid: process.pid, created: now });
    assert.ok(scratchName().length <= 63, 'fits a PostgreSQL name');
  });

  test('the next check drops the leftovers of dead runs and keeps every other', { skip }, async () => {
    const result = await runEngine('check', project.root, {}, { DATABASE_URL: db.url });
    assert.equal(result.code, 0, result.stderr);
    const rows = await adminQuery<{ datname: string }>(SYSTEM_PG, `select datname from pg_database where datname = any($1)`, [created]);
    const present = new Set(rows.map((r) => r.datname));
    for (const [what, database] of Object.entries(leftovers)) assert.ok(!present.has(database), `${what} (${database}) was dropped`);
    for (const [what, database] of Object.entries(kept)) assert.ok(present.has(database), `${what} (${database}) was kept`);
  });
});
