// `veloiq db stamp`: the record changes, the schema never does. Against real PostgreSQL.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { current } from '../src/commands/current';
import { generate } from '../src/commands/generate';
import { history } from '../src/commands/history';
import { migrate } from '../src/commands/migrate';
import { stamp, type StampResult } from '../src/commands/stamp';
import { upgrade } from '../src/commands/upgrade';
import { toJson, toText } from '../src/commands/report';
import { listRevisions } from '../src/core/revisions';
import { createVeloiqApp } from '../src/runtime';
import { withEnvironment } from '../src/commands/session';
import { A, B, C, nameOf, rejectsWith, snapshot, useRevisions } from './revision-fixtures';
import { sampleWithDatabase, type SampleWithDatabase, type TestDatabase, type TestProject } from './support';

const CUSTOMERS = `import { defineEntity, p } from '@mikro-orm/core';

export const Customer = defineEntity({
  name: 'Customer',
  properties: {
    id: p.integer().primary().autoincrement(),
    email: p.string().length(320),
  },
});
`;

describe('stamp brings a database made without migrations under their control', () => {
  let project: TestProject;
  let db: TestDatabase;
  let o: SampleWithDatabase['options'];

  let dispose: () => Promise<void>;
  before(async () => {
    ({ project, db, options: o, dispose } = await sampleWithDatabase('vq_stamp_app'));
  });
  after(() => dispose());

  test("the app's automatic table creation -> stamp -> current at head -> upgrade does nothing -> migrate and upgrade work", async () => {
    const names = listRevisions(project.migrations).map((r) => r.name);
    const app = await withEnvironment(o.env, () => createVeloiqApp({ projectRoot: project.root, createTablesOnStartup: true, warn: () => undefined }));
    await app.close();
    const made = await db.tables();
    assert.ok(made.includes('product') && made.includes('orders'), `the app made its tables: ${made}`);
    assert.equal((await current(o)).id, null, 'nothing recorded yet');

    const result = (await stamp(o)) as StampResult;
    assert.deepEqual(
      result.recorded.map((r) => r.id),
      listRevisions(project.migrations).map((r) => r.id),
    );
    assert.equal(result.head, true);
    assert.match(toText(result), /Stamped at \w+ \(head\); no migration SQL was run\.$/);
    assert.deepEqual(await db.applied(), names);
    assert.deepEqual(await db.tables(), [...made, 'mikro_orm_migrations'].sort(), 'stamp creates only the record');

    const now = await current(o);
    assert.equal(now.head, true);
    assert.equal(now.id, result.current);

    const noop = await upgrade(o);
    assert.deepEqual(noop.applied, []);

    // The next model change goes the usual way.
    mkdirSync(join(project.backend, 'src/modules/customers'), { recursive: true });
    writeFileSync(join(project.backend, 'src/modules/customers/models.ts'), CUSTOMERS);
    await generate(o);
    const written = await migrate({ ...o, message: 'create customer table' });
    assert.ok(written.revision, 'migrate wrote a revision');
    const applied = await upgrade(o);
    assert.deepEqual(
      applied.applied.map((r) => r.id),
      [written.revision!.id],
    );
    assert.ok((await db.tables()).includes('customer'));
    assert.equal((await current(o)).head, true);
  });
});

describe('stamp moves the record to exactly the revisions up to the target', () => {
  let project: TestProject;
  let db: TestDatabase;
  let o: SampleWithDatabase['options'];
  const HAND_MADE = ['customer', 'orders', 'product'];

  let dispose: () => Promise<void>;
  before(async () => {
    ({ project, db, options: o, dispose } = await sampleWithDatabase('vq_stamp'));
    useRevisions(project.migrations, [A, B, C]);
    // Tables made by hand, as someone would in psql.
    for (const sql of [...A.up, ...B.up, ...C.up]) await db.query(sql);
  });
  after(() => dispose());

  async function expectRecorded(ids: string[], currentId: string | null): Promise<void> {
    const names = [A, B, C].filter((r) => ids.includes(r.id)).map(nameOf);
    assert.deepEqual((await db.applied()).sort(), names.sort(), 'the record');
    assert.equal((await current(o)).id, currentId, 'current');
    assert.deepEqual(await db.tables(), [...HAND_MADE, 'mikro_orm_migrations'].sort(), 'no table created or dropped');
  }

  test('stamp base on a database without a record changes nothing and creates no table', async () => {
    const result = (await stamp({ ...o, revision: 'base' })) as StampResult;
    assert.equal(toText(result), 'Already stamped at base; the record is unchanged.');
    assert.deepEqual(await db.tables(), HAND_MADE);
  });

  test('stamp <id> records it and those before it', async () => {
    const result = (await stamp({ ...o, revision: B.id })) as StampResult;
    assert.deepEqual(
      result.recorded.map((r) => r.id),
      [A.id, B.id],
    );
    assert.equal(result.head, false);
    await expectRecorded([A.id, B.id], B.id);
  });

  test('stamp head adds the rest; stamp <earlier id> removes rows', async () => {
    await stamp(o);
    await expectRecorded([A.id, B.id, C.id], C.id);
    const result = (await stamp({ ...o, revision: A.id.slice(0, 8) })) as StampResult;
    assert.deepEqual(
      result.removed.map((r) => r.id),
      [C.id, B.id],
    );
    assert.deepEqual(result.recorded, []);
    assert.equal(toText(result), `Unrecorded ${C.id} ${C.description}\nUnrecorded ${B.id} ${B.description}\nStamped at ${A.id}; no migration SQL was run.`);
    await expectRecorded([A.id], A.id);
  });

  test('+N and -N are relative to the current revision', async () => {
    await stamp({ ...o, revision: '+2' });
    await expectRecorded([A.id, B.id, C.id], C.id);
    await stamp({ ...o, revision: -1 });
    await expectRecorded([A.id, B.id], B.id);
    await rejectsWith(stamp({ ...o, revision: '+2' }), /Cannot go 2 steps forward: only 1 revision is pending/);
    await rejectsWith(stamp({ ...o, revision: '-3' }), /Cannot go 3 steps back: only 2 revisions are applied/);
  });

  test('history marks what stamp recorded', async () => {
    const marks = (await history(o)).revisions.map((e) => [e.id, e.applied, e.current]);
    assert.deepEqual(marks, [
      [A.id, true, false],
      [B.id, true, true],
      [C.id, false, false],
    ]);
  });

  test('a recorded name with no revision file is removed too, and reported', async () => {
    await db.query(`insert into mikro_orm_migrations (name) values ('zz000000_deleted_file')`);
    const result = (await stamp({ ...o, revision: B.id })) as StampResult;
    assert.deepEqual(result.removed, [{ id: 'zz000000_deleted_file', description: '(no revision file)' }]);
    assert.deepEqual(JSON.parse(toJson(result)), { recorded: [], removed: result.removed, current: B.id, head: false });
    await expectRecorded([A.id, B.id], B.id);
  });

  test('stamp of an unknown id, an ambiguous prefix or a malformed revision is refused; the record is untouched', async () => {
    const before = await snapshot(db);
    await rejectsWith(stamp({ ...o, revision: 'zzzz' }), /^Unknown revision 'zzzz': no revision id starts with it/);
    await rejectsWith(stamp({ ...o, revision: 'mx0' }), /^Ambiguous revision 'mx0'/);
    for (const bad of ['-0', '+0', '-abc', '1.5']) await rejectsWith(stamp({ ...o, revision: bad }), /^Invalid revision/);
    assert.deepEqual(await snapshot(db), before);
  });

  test('stamp base clears the record and keeps the tables', async () => {
    const result = (await stamp({ ...o, revision: 'base' })) as StampResult;
    assert.equal(result.current, null);
    await expectRecorded([], null);
  });
});
