// `veloiq db downgrade` with Alembic's meaning, step by step against real PostgreSQL: each test
// brings its own copy and database to the step's starting point, then checks `current` and the
// database itself (tables and record) after it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { current } from '../src/commands/current';
import { downgrade, type DowngradeResult } from '../src/commands/downgrade';
import { history } from '../src/commands/history';
import { stamp, type StampResult } from '../src/commands/stamp';
import { upgrade } from '../src/commands/upgrade';
import { toJson, toText } from '../src/commands/report';
import { listRevisions } from '../src/core/revisions';
import { A, B, C, nameOf, rejectsWith, snapshot, useRevisions, type RevisionSpec } from './revision-fixtures';
import { runEngine } from './safety-fixtures';
import {
  SAMPLE,
  copySample,
  createTestDatabase,
  sampleWithDatabase,
  type SampleWithDatabase,
  nx,
  veloiq,
  type TestDatabase,
  type TestProject,
} from './support';

const RECORD = 'mikro_orm_migrations';

describe('the Alembic sequence: upgrade, downgrade, stamp', () => {
  let project: TestProject;
  let db: TestDatabase;
  let o: SampleWithDatabase['options'];

  /** `current` says `id` (null: base), and exactly `revisions` are recorded and their tables exist. */
  async function expectAt(id: string | null, revisions: RevisionSpec[], tables: string[]): Promise<void> {
    const now = await current(o);
    assert.equal(now.id, id, 'current');
    assert.equal(now.head, id === C.id);
    assert.deepEqual(await db.applied(), revisions.map(nameOf), 'the record');
    assert.deepEqual(await db.tables(), [...tables].sort(), 'the tables');
  }

  let dispose: () => Promise<void>;
  beforeEach(async () => {
    ({ project, db, options: o, dispose } = await sampleWithDatabase('vq_downgrade'));
    useRevisions(project.migrations, [A, B, C]);
  });
  afterEach(() => dispose());

  test('downgrade -1 on an empty database is refused and creates nothing', async () => {
    await rejectsWith(downgrade({ ...o, revision: '-1' }), /Cannot go 1 step back: only 0 revisions are applied/);
    await rejectsWith(downgrade({ ...o, revision: -1 }), /Cannot go 1 step back/);
    await expectAt(null, [], []);
  });

  test('upgrade +1 applies the first revision', async () => {
    await upgrade({ ...o, revision: '+1' });
    await expectAt(A.id, [A], [RECORD, 'product']);
  });

  test('relative to a revision (head-1, <id>+1) as Alembic; a bare step the wrong way is refused and changes nothing', async () => {
    await upgrade({ ...o, revision: 'head-1' });
    await expectAt(B.id, [A, B], [RECORD, 'product', 'orders']);
    await rejectsWith(
      upgrade({ ...o, revision: '-1' }),
      /^upgrade goes forward, and '-1' counts back from the current revision\. To revert, run 'veloiq db downgrade -- -1'\.$/,
    );
    await rejectsWith(
      downgrade({ ...o, revision: '+1' }),
      /^downgrade goes back, and '\+1' counts forward from the current revision\. To apply, run 'veloiq db upgrade \+1'\.$/,
    );
    await expectAt(B.id, [A, B], [RECORD, 'product', 'orders']);
    await upgrade({ ...o, revision: `${B.id}+1` });
    await expectAt(C.id, [A, B, C], [RECORD, 'product', 'orders', 'customer']);
    await downgrade({ ...o, revision: 'head-2' });
    await expectAt(A.id, [A], [RECORD, 'product']);
  });

  test('history -r shows a range, as Alembic: both ends included, current and -N counted', async () => {
    await upgrade({ ...o, revision: B.id });
    const ids = async (revRange: string) => (await history({ ...o, revRange })).revisions.map((r) => r.id);
    assert.deepEqual(await ids('current:'), [B.id, C.id]);
    assert.deepEqual(await ids(':current'), [A.id, B.id]);
    assert.deepEqual(await ids('-1:'), [B.id, C.id]);
    assert.deepEqual(await ids(`${B.id}:${B.id}`), [B.id]);
    await rejectsWith(history({ ...o, revRange: B.id }), /^History range '\w+' needs a colon: \[start\]:\[end\]/);
  });

  test('upgrade head applies the rest', async () => {
    await upgrade({ ...o, revision: '+1' });
    await upgrade(o);
    await expectAt(C.id, [A, B, C], [RECORD, 'product', 'orders', 'customer']);
  });

  test('downgrade <middle id> reverts what came after it; that id stays applied and is current', async () => {
    await upgrade(o);
    const result = (await downgrade({ ...o, revision: B.id })) as DowngradeResult;
    assert.deepEqual(result.reverted, [{ id: C.id, description: C.description }]);
    assert.equal(result.current, B.id);
    assert.equal(toText(result), `Reverted ${C.id} ${C.description}\n1 revision reverted; now at ${B.id}.`);
    await expectAt(B.id, [A, B], [RECORD, 'product', 'orders']);
    const marks = (await history(o)).revisions.map((e) => [e.id, e.applied, e.current]);
    assert.deepEqual(marks, [
      [A.id, true, false],
      [B.id, true, true],
      [C.id, false, false],
    ]);
  });

  test('a revision ahead of current, or further back than base, is refused and nothing is reverted', async () => {
    await upgrade({ ...o, revision: B.id });
    await rejectsWith(
      downgrade({ ...o, revision: C.id }),
      new RegExp(`Revision ${C.id} is ahead of the current revision \\(${B.id}\\).*veloiq db upgrade ${C.id}`),
    );
    await rejectsWith(downgrade({ ...o, revision: '+1' }), /^downgrade goes back, and '\+1' counts forward/);
    await rejectsWith(downgrade({ ...o, revision: -5 }), /Cannot go 5 steps back: only 2 revisions are applied\. Use 'base'/);
    await expectAt(B.id, [A, B], [RECORD, 'product', 'orders']);
  });

  test('downgrade to the current revision changes nothing', async () => {
    await upgrade({ ...o, revision: B.id });
    const result = (await downgrade({ ...o, revision: B.id })) as DowngradeResult;
    assert.deepEqual(result.reverted, []);
    assert.equal(toText(result), `Already at ${B.id}; nothing to revert.`);
    await expectAt(B.id, [A, B], [RECORD, 'product', 'orders']);
  });

  test('downgrade -1 goes one step back', async () => {
    await upgrade({ ...o, revision: B.id });
    const result = (await downgrade({ ...o, revision: -1 })) as DowngradeResult;
    assert.deepEqual(
      result.reverted.map((r) => r.id),
      [B.id],
    );
    await expectAt(A.id, [A], [RECORD, 'product']);
  });

  test('downgrade base reverts everything; the record table stays, empty', async () => {
    await upgrade(o);
    const result = (await downgrade({ ...o, revision: 'base' })) as DowngradeResult;
    assert.deepEqual(
      result.reverted.map((r) => r.id),
      [C.id, B.id, A.id],
      'newest first',
    );
    assert.equal(result.current, null);
    assert.equal(toText(result).split('\n').at(-1), '3 revisions reverted; now at base (no revision applied).');
    assert.deepEqual(JSON.parse(toJson(result)), { reverted: result.reverted, current: null, head: false });
    await expectAt(null, [], [RECORD]);
  });

  test('stamp (head) records every revision and creates no table', async () => {
    const result = (await stamp(o)) as StampResult;
    assert.deepEqual(
      result.recorded.map((r) => r.id),
      [A.id, B.id, C.id],
    );
    await expectAt(C.id, [A, B, C], [RECORD]);
  });

  test('stamp base clears the record and drops nothing', async () => {
    await stamp(o);
    await stamp({ ...o, revision: 'base' });
    await expectAt(null, [], [RECORD]);
  });

  test('upgrade head after stamp base applies every revision', async () => {
    await stamp(o);
    await stamp({ ...o, revision: 'base' });
    await upgrade(o);
    await expectAt(C.id, [A, B, C], [RECORD, 'product', 'orders', 'customer']);
  });

  test('downgrade -2 goes two steps back; upgrade +2 comes back', async () => {
    await upgrade(o);
    const result = (await downgrade({ ...o, revision: '-2' })) as DowngradeResult;
    assert.deepEqual(
      result.reverted.map((r) => r.id),
      [C.id, B.id],
    );
    await expectAt(A.id, [A], [RECORD, 'product']);
    await upgrade({ ...o, revision: '+2' });
    await expectAt(C.id, [A, B, C], [RECORD, 'product', 'orders', 'customer']);
  });

  test('bad revisions are refused with one line each, and the database is untouched', async () => {
    await upgrade(o);
    const before = await snapshot(db);
    await rejectsWith(downgrade(o), /^downgrade needs a revision: -1 .*veloiq db downgrade -1/);
    await rejectsWith(downgrade({ ...o, revision: '' }), /^downgrade needs a revision/);
    await rejectsWith(downgrade({ ...o, revision: 'zzzz' }), /^Unknown revision 'zzzz': no revision id starts with it\. Run 'veloiq db history'/);
    await rejectsWith(downgrade({ ...o, revision: 'mx' }), new RegExp(`^Ambiguous revision 'mx': it starts 3 ids \\(${A.id}, ${B.id}, ${C.id}\\)`));
    await rejectsWith(downgrade({ ...o, revision: 'mx0' }), new RegExp(`^Ambiguous revision 'mx0': it starts 2 ids \\(${A.id}, ${B.id}\\)`));
    for (const zero of ['-0', '+0']) {
      await rejectsWith(downgrade({ ...o, revision: zero }), new RegExp(`^Invalid revision '\\${zero}': a relative step must not be zero`));
    }
    await rejectsWith(downgrade({ ...o, revision: '-abc' }), /^Invalid revision '-abc'\. Use head, base, -N, \+N/);
    await rejectsWith(downgrade({ ...o, revision: '1.5' }), /^Invalid revision '1\.5'/);
    await rejectsWith(downgrade({ ...o, revision: 1.5 }), /^Invalid revision '1\.5'/);
    await rejectsWith(stamp({ ...o, revision: 'zzzz' }), /^Unknown revision 'zzzz'/);
    await rejectsWith(stamp({ ...o, revision: '-0' }), /^Invalid revision '-0'/);
    // As Alembic: a revision already applied (or base) is nothing to do, not an error.
    assert.equal(toText(await upgrade({ ...o, revision: B.id })), `Nothing to upgrade: ${B.id} is already applied (now at ${C.id}, head).`);
    assert.equal(toText(await upgrade({ ...o, revision: 'base' })), `Nothing to upgrade: base is where every revision starts (now at ${C.id}).`);
    await rejectsWith(stamp({ ...o, revision: '' }), /^Invalid revision '': a revision word must not be empty/);
    await rejectsWith(upgrade({ ...o, revision: '' }), /^Invalid revision ''/);
    await rejectsWith(upgrade({ ...o, revision: '+0' }), /^Invalid revision '\+0'/);
    assert.deepEqual(await snapshot(db), before);
  });
});

describe('a failing down() during downgrade', () => {
  test('leaves the database as it was and names the revision', async () => {
    const project = copySample();
    const db = await createTestDatabase('vq_downfail');
    const broken: RevisionSpec = { ...B, down: [`drop table "orders";`, `drop table "no_such_table";`] };
    useRevisions(project.migrations, [A, broken, C]);
    const o = { projectRoot: project.root, cwd: project.root, env: { DATABASE_URL: db.url } };
    try {
      await upgrade(o);
      const before = await snapshot(db);
      await rejectsWith(
        downgrade({ ...o, revision: 'base' }),
        new RegExp(`^Revision ${B.id} \\(${B.description}\\) failed to revert: .*no_such_table.*does not exist\\. Nothing was changed`),
      );
      // C's down() ran first and dropped "customer": the rollback brought it back.
      assert.deepEqual(await snapshot(db), before);
      assert.ok(before.tables.includes('customer'));
      assert.equal((await current(o)).id, C.id);
    } finally {
      await db.drop();
      project.remove();
    }
  });

  test('a revision recorded out of order (not applied) cannot be the target', async () => {
    const project = copySample();
    const db = await createTestDatabase('vq_downgap');
    useRevisions(project.migrations, [A, B, C]);
    const o = { projectRoot: project.root, cwd: project.root, env: { DATABASE_URL: db.url } };
    try {
      // Only A and C recorded: what a merged branch, or the MikroORM CLI, can leave behind.
      await stamp({ ...o, revision: A.id });
      await db.query(`insert into mikro_orm_migrations (name) values ($1)`, [nameOf(C)]);
      const before = await snapshot(db);
      await rejectsWith(downgrade({ ...o, revision: B.id }), new RegExp(`^Revision ${B.id} is not applied.*veloiq db stamp ${B.id}`));
      assert.deepEqual(await snapshot(db), before);
    } finally {
      await db.drop();
      project.remove();
    }
  });
});

describe('through nx run and veloiq', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('vq_downgrade_nx');
  });
  afterEach(async () => {
    await db.drop();
  });

  test('nx run sample:db-downgrade -1 (Nx hands the number -1) reverts one revision; -0 is refused', async () => {
    const env = { DATABASE_URL: db.url };
    const names = listRevisions(join(SAMPLE, 'backend', 'migrations')).map((r) => r.name);
    assert.ok(names.length >= 2, 'the sample has revisions');
    const up = await runEngine('upgrade', SAMPLE, {}, env);
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(await db.applied(), names);

    const down = await nx(['run', 'sample:db-downgrade', '-1'], { env });
    assert.equal(down.code, 0, down.stderr + down.stdout);
    assert.match(down.stdout, /1 revision reverted; now at /);
    assert.deepEqual(await db.applied(), names.slice(0, -1));

    const before = await snapshot(db);
    const zero = await nx(['run', 'sample:db-downgrade', '-0'], { env });
    assert.notEqual(zero.code, 0);
    assert.match(zero.stdout + zero.stderr, /Invalid revision '-0': a relative step must not be zero/);
    assert.deepEqual(await snapshot(db), before);
  });

  test('npx veloiq db downgrade -1 from the backend/ folder, then db stamp', async () => {
    const env = { DATABASE_URL: db.url };
    assert.equal((await runEngine('upgrade', SAMPLE, {}, env)).code, 0);
    const names = await db.applied();
    const down = await veloiq(['db', 'downgrade', '-1'], { cwd: join(SAMPLE, 'backend'), env });
    assert.equal(down.code, 0, down.stderr + down.stdout);
    assert.deepEqual(await db.applied(), names.slice(0, -1));
    const stamped = await veloiq(['db', 'stamp'], { cwd: SAMPLE, env });
    assert.equal(stamped.code, 0, stamped.stderr + stamped.stdout);
    assert.match(stamped.stdout, /no migration SQL was run/);
    assert.equal((await db.applied()).length, listRevisions(join(SAMPLE, 'backend', 'migrations')).length);
  });
});
