// Offline `--sql` on upgrade, downgrade and stamp: the script is printed, nothing connects, and
// running the script by hand leaves the database exactly where the online command would.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { current } from '../src/commands/current';
import { downgrade } from '../src/commands/downgrade';
import { stamp } from '../src/commands/stamp';
import { upgrade } from '../src/commands/upgrade';
import type { SqlResult } from '../src/commands/sql';
import { toJson, toText } from '../src/commands/report';
import { A, B, C, nameOf, rejectsWith, useRevisions } from './revision-fixtures';
import { SAMPLE, copySample, createTestDatabase, nx, veloiq, type TestDatabase, type TestProject } from './support';

/** Nothing listens on port 1: any attempt to connect would fail the command. */
const NOWHERE = 'postgresql://app:s3cret-offline@127.0.0.1:1/nowhere';

const commentLines = (sql: string) => sql.split('\n').filter((l) => l.startsWith('-- '));
const statements = (sql: string) => sql.split('\n').filter((l) => l && !l.startsWith('--'));

describe('offline --sql', () => {
  let project: TestProject;
  let db: TestDatabase;
  let o: { projectRoot: string; cwd: string; env: { DATABASE_URL: string } };
  /** A second copy for the offline runs, with DATABASE_URL pointing nowhere: any connection would fail. */
  let offlineProject: TestProject;
  let off: { projectRoot: string; cwd: string; env: { DATABASE_URL: string } };

  before(async () => {
    project = copySample();
    useRevisions(project.migrations, [A, B, C]);
    db = await createTestDatabase('vq_sql');
    o = { projectRoot: project.root, cwd: project.root, env: { DATABASE_URL: db.url } };
    offlineProject = copySample();
    useRevisions(offlineProject.migrations, [A, B, C]);
    off = { projectRoot: offlineProject.root, cwd: offlineProject.root, env: { DATABASE_URL: NOWHERE } };
  });
  after(async () => {
    await db.drop();
    project.remove();
    offlineProject.remove();
  });

  test('upgrade --sql prints every statement in order, with a comment naming each revision, and connects to nothing', async () => {
    const result = await upgrade({ ...off, sql: true });
    assert.equal(result.kind, 'sql');
    assert.deepEqual([result.from, result.to], [null, C.id]);
    const { sql } = result;
    assert.equal(toText(result), sql);
    assert.doesNotMatch(sql, /s3cret/);
    const lines = statements(sql);
    assert.equal(lines[0], 'BEGIN;');
    assert.equal(lines.at(-1), 'COMMIT;');
    assert.deepEqual(
      commentLines(sql).filter((l) => l.startsWith('-- Revision')),
      [A, B, C].map((r) => `-- Revision ${r.id}: ${r.description}`),
    );
    // Each revision's SQL comes right after its comment, and the record is written last.
    const at = (text: string) => sql.indexOf(text);
    assert.ok(at(`-- Revision ${A.id}`) < at(A.up[0].slice(0, -1)) && at(A.up[0].slice(0, -1)) < at(`-- Revision ${B.id}`));
    assert.ok(at(C.up[0].slice(0, -1)) < at('insert into "public"."mikro_orm_migrations"'));
    for (const r of [A, B, C]) assert.match(sql, new RegExp(`'${nameOf(r)}'`));
    assert.deepEqual(await db.tables(), [], 'the database was not touched');
  });

  test('the upgrade script, run by hand, leaves the database where upgrade would', async () => {
    const { sql } = await upgrade({ ...off, sql: true });
    await db.query(sql);
    assert.deepEqual(await db.applied(), [A, B, C].map(nameOf));
    assert.deepEqual(await db.tables(), ['customer', 'mikro_orm_migrations', 'orders', 'product']);
    const now = await current(o);
    assert.equal(now.id, C.id);
    assert.equal(now.head, true);
  });

  test('downgrade --sql assumes head unless given from:to; its script, run by hand, leaves the database at the target', async () => {
    const fromHead = (await downgrade({ ...off, revision: A.id, sql: true })) as SqlResult;
    assert.deepEqual([fromHead.from, fromHead.to], [C.id, A.id]);
    assert.match(fromHead.sql, new RegExp(`Assumes the database is at ${C.id} \\(give <from>:<to> to start elsewhere\\)`));
    assert.deepEqual(
      commentLines(fromHead.sql).filter((l) => l.startsWith('-- Revision')),
      [`-- Revision ${C.id}: ${C.description} (revert)`, `-- Revision ${B.id}: ${B.description} (revert)`],
    );
    assert.match(fromHead.sql, /delete from "public"\."mikro_orm_migrations" where name in \(/);
    const ranged = (await downgrade({ ...off, revision: `${C.id}:-1`, sql: true })) as SqlResult;
    assert.deepEqual([ranged.from, ranged.to], [C.id, B.id]);
    await db.query(ranged.sql);
    assert.equal((await current(o)).id, B.id);
    assert.deepEqual(await db.tables(), ['mikro_orm_migrations', 'orders', 'product']);
    assert.deepEqual(await db.applied(), [A, B].map(nameOf));
  });

  test('stamp --sql writes only the record statements', async () => {
    const result = (await stamp({ ...off, revision: `${B.id}:base`, sql: true })) as SqlResult;
    assert.doesNotMatch(result.sql, /create table "|drop table/);
    assert.match(result.sql, /-- Record: remove mx000002, mx000001/);
    const all = (await stamp({ ...off, sql: true })) as SqlResult;
    assert.deepEqual([all.from, all.to], [null, C.id]);
    assert.match(all.sql, new RegExp(`-- Record: add ${A.id} \\(${A.description}\\), ${B.id}.*${C.id}`));
    await db.query(result.sql);
    assert.equal((await current(o)).id, null);
    assert.deepEqual(await db.tables(), ['mikro_orm_migrations', 'orders', 'product'], 'stamp drops nothing');
  });

  test('upgrade --sql from:to covers only that range; +N counts from the start', async () => {
    const ranged = await upgrade({ ...off, revision: `${A.id}:head`, sql: true });
    assert.deepEqual(
      commentLines(ranged.sql).filter((l) => l.startsWith('-- Revision')),
      [B, C].map((r) => `-- Revision ${r.id}: ${r.description}`),
    );
    const one = await upgrade({ ...off, revision: '+1', sql: true });
    assert.equal(one.to, A.id);
    assert.deepEqual(JSON.parse(toJson(one)), { command: 'upgrade', from: null, to: A.id, sql: one.sql });
  });

  test('upgrade --sql --transaction-per-migration shows one transaction per revision', async () => {
    const { sql } = await upgrade({ ...off, sql: true, transactionPerMigration: true });
    assert.equal(statements(sql).filter((l) => l === 'BEGIN;').length, 3);
    assert.equal(statements(sql).filter((l) => l === 'COMMIT;').length, 3);
    assert.equal(statements(sql).filter((l) => l.startsWith('insert into "public"."mikro_orm_migrations"')).length, 3);
  });

  test('nothing to run is said in the script', async () => {
    const none = (await downgrade({ ...off, revision: 'base:base', sql: true })) as SqlResult;
    assert.match(none.sql, /-- Nothing to run: the database would already be at base\./);
    assert.deepEqual(statements(none.sql), []);
  });

  test('bad ranges are refused with one line each', async () => {
    {
      await rejectsWith(
        upgrade({ ...off, revision: `${C.id}:${A.id}`, sql: true }),
        new RegExp(`^Revision ${A.id} is not after the script's starting point \\(${C.id}\\)`),
      );
      await rejectsWith(downgrade({ ...off, revision: `${A.id}:${C.id}`, sql: true }), /^Revision mx100003 is ahead of the current revision \(mx000001\)/);
      await rejectsWith(downgrade({ ...off, sql: true }), /^downgrade needs a revision/);
      await rejectsWith(downgrade({ ...off, revision: `${C.id}:`, sql: true }), /^downgrade needs a revision/);
      await rejectsWith(stamp({ ...off, revision: 'zzzz:head', sql: true }), /^Unknown revision 'zzzz'/);
      await rejectsWith(upgrade({ ...off, revision: '-0', sql: true }), /^Invalid revision '-0'/);
    }
  });
});

describe('nx run sample:db-upgrade --sql', () => {
  test('prints the script with no database reachable and exits 0', async () => {
    const result = await nx(['run', 'sample:db-upgrade', '--sql'], { env: { DATABASE_URL: NOWHERE } });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.match(result.stdout, /-- veloiq db upgrade --sql: offline script, nothing was run\./);
    assert.match(result.stdout, /^BEGIN;$[\s\S]*^-- Revision \w+: [\s\S]*^insert into "public"\."mikro_orm_migrations"[\s\S]*^COMMIT;$/m);
    assert.doesNotMatch(result.stdout + result.stderr, /s3cret/);
  });

  test("npx veloiq db upgrade --sql prints only the script, ready for '> file.sql'", async () => {
    const result = await veloiq(['db', 'upgrade', '--sql'], { cwd: SAMPLE, env: { DATABASE_URL: NOWHERE } });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.ok(result.stdout.startsWith('-- veloiq db upgrade --sql: offline script, nothing was run.\n'), result.stdout);
    assert.ok(result.stdout.trimEnd().endsWith('COMMIT;'));
    assert.doesNotMatch(result.stdout, /NX|nx run/);
  });
});
