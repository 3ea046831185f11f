// Issue 15's story on two real databases: revisions a and c applied on a developer's database,
// then b (written on another branch from a) arrives. Every step's output says what happened.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { current, type CurrentResult } from '../src/commands/current';
import { downgrade, type DowngradeResult } from '../src/commands/downgrade';
import { heads } from '../src/commands/heads';
import { history } from '../src/commands/history';
import { merge } from '../src/commands/merge';
import { migrate } from '../src/commands/migrate';
import { show } from '../src/commands/show';
import { stamp } from '../src/commands/stamp';
import { upgrade } from '../src/commands/upgrade';
import { checkOrFail, headsFailure } from '../src/commands/check';
import { toJson, toText } from '../src/commands/report';
import { renderRevision } from '../src/core/revision-file';
import { rejectsWith } from './revision-fixtures';
import { copySample, createTestDatabase, type TestDatabase, type TestProject } from './support';

const A = {
  id: 'mz000001',
  message: 'create product table',
  up: ['create table "product" ("id" serial primary key)'],
  down: ['drop table "product"'],
  parents: [] as string[],
};
const B = {
  id: 'mz000002',
  message: 'create orders table',
  up: ['create table "orders" ("id" serial primary key)'],
  down: ['drop table "orders"'],
  parents: [A.id],
};
const C = {
  id: 'mz000003',
  message: 'create customer table',
  up: ['create table "customer" ("id" serial primary key)'],
  down: ['drop table "customer"'],
  parents: [A.id],
};
type Spec = typeof A;

function write(dir: string, r: Spec): void {
  writeFileSync(join(dir, `${r.id}_${r.message.replace(/ /g, '_')}.ts`), renderRevision(r));
}

/** Columns of every public table: what "identical schemas" means here. */
async function schemaOf(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ c: string }>(
    `select table_name || '.' || column_name || ':' || data_type as c from information_schema.columns where table_schema = 'public' and table_name <> 'mikro_orm_migrations' order by 1`,
  );
  return rows.map((r) => r.c);
}

describe('two branches, two revisions: the out-of-order story on two databases', () => {
  // Two checkouts of one project, each with its database (a config reads DATABASE_URL once per process).
  let project: TestProject;
  let deployed: TestProject;
  let dev: TestDatabase;
  let prod: TestDatabase;
  let target: TestProject;
  let url: string;
  const o = () => ({ projectRoot: target.root, cwd: target.root, env: { DATABASE_URL: url }, notify: () => undefined });
  /** Runs a command in the checkout of `db`, with the same revision files as the developer's. */
  const on = <T>(db: TestDatabase, run: () => Promise<T>): Promise<T> => {
    url = db.url;
    target = db === dev ? project : deployed;
    if (db === prod) {
      for (const file of readdirSync(deployed.migrations)) rmSync(join(deployed.migrations, file));
      cpSync(project.migrations, deployed.migrations, { recursive: true });
    }
    return run();
  };
  let mergeId = '';

  before(async () => {
    project = copySample();
    deployed = copySample();
    target = project;
    for (const file of readdirSync(project.migrations)) rmSync(join(project.migrations, file));
    dev = await createTestDatabase('vq_branch_dev');
    prod = await createTestDatabase('vq_branch_prod');
  });
  after(async () => {
    await dev?.drop();
    await prod?.drop();
    project?.remove();
    deployed?.remove();
  });

  test('the developer applies a and c', async () => {
    write(project.migrations, A);
    write(project.migrations, C);
    const result = await on(dev, () => upgrade(o()));
    assert.equal(toText(result), `Applied ${A.id} ${A.message}\nApplied ${C.id} ${C.message}\n2 revisions applied; now at ${C.id} (head).`);
  });

  test('b arrives with parent a: a second head, which current and history name', async () => {
    write(project.migrations, B);
    const now = (await on(dev, () => current(o()))) as CurrentResult;
    assert.deepEqual(now.graphHeads, [B.id, C.id]);
    assert.deepEqual(now.heads, [{ id: C.id, description: C.message, head: true }]);
    assert.equal(
      toText(now),
      // C is a head of the graph, which Alembic's current marks too: `c (head)`.
      `${C.id} (head), ${C.message}\nNot at head: 1 revision behind head.\n` +
        `The revisions have 2 heads (${B.id}, ${C.id}): apply them all with 'veloiq db upgrade heads', and join them with 'veloiq db merge -m "merge heads"'.`,
    );
    const listed = toText(await on(dev, () => history(o())));
    assert.equal(
      listed,
      // Alembic's history lines (`parent -> id (markers), message`), with ours: (current) always, (pending).
      [
        `${A.id} -> ${C.id} (head) (current), ${C.message}`,
        `${A.id} -> ${B.id} (head) (pending), ${B.message}`,
        `<base> -> ${A.id} (branchpoint), ${A.message}`,
      ].join('\n'),
    );
    assert.equal(
      toText(await heads(o())),
      `${B.id} (head), ${B.message}\n${C.id} (head), ${C.message}\nThe revisions have 2 heads (${B.id}, ${C.id}): apply them all with 'veloiq db upgrade heads', and join them with 'veloiq db merge -m "merge heads"'.`,
    );
  });

  test('upgrade, stamp and migrate refuse to pick a head; db-check names merge', async () => {
    const before = await dev.applied();
    await rejectsWith(
      on(dev, () => upgrade(o())),
      new RegExp(
        `^Multiple head revisions are present \\(${B.id}, ${C.id}\\) for 'head': specify a target revision, .*'heads' for all of them; or join them with 'veloiq db merge`,
      ),
    );
    await rejectsWith(
      on(dev, () => stamp(o())),
      /^Multiple head revisions are present/,
    );
    await rejectsWith(
      on(dev, () => migrate({ ...o(), message: 'x' })),
      /^Multiple head revisions are present/,
    );
    assert.match(
      headsFailure({ heads: [B.id, C.id], headFile: null, migrationsDir: 'backend/migrations' })!.message,
      /have 2 heads .*veloiq db merge -m "merge heads"/,
    );
    assert.deepEqual(await dev.applied(), before, 'nothing was recorded');
  });

  test('upgrade heads applies b; history shows the order this database applied', async () => {
    const result = await on(dev, () => upgrade({ ...o(), revision: 'heads' }));
    assert.equal(toText(result), `Applied ${B.id} ${B.message}\n1 revision applied; now at ${B.id} and ${C.id} (2 branches) (head).`);
    const now = (await on(dev, () => current(o()))) as CurrentResult;
    assert.equal(
      toText(now),
      `${B.id} (head), ${B.message}\n${C.id} (head), ${C.message}\nThe database stands on 2 branches, all at head.\n` +
        `The revisions have 2 heads (${B.id}, ${C.id}): apply them all with 'veloiq db upgrade heads', and join them with 'veloiq db merge -m "merge heads"'.`,
    );
    const entries = JSON.parse(toJson(await on(dev, () => history(o()))));
    assert.deepEqual(
      entries.map((e: { id: string; appliedOrder: number }) => [e.id, e.appliedOrder]),
      [
        [A.id, 1],
        [B.id, 3],
        [C.id, 2],
      ],
    );
    assert.match(toText(await on(dev, () => history(o()))), new RegExp(`${A.id} -> ${B.id} \\(head\\) \\(current\\) \\(applied #3\\), ${B.message}`));
  });

  test('merge writes a revision with both parents and no schema change; head.txt names it', async () => {
    const result = await merge({ ...o(), message: 'merge heads' });
    mergeId = result.revision.id;
    assert.deepEqual(result.revision.parents, [B.id, C.id]);
    assert.match(
      toText(result),
      new RegExp(`^Wrote backend/migrations/${mergeId}_merge_heads\\.ts: merge revision ${mergeId} of ${B.id} and ${C.id} \\(no schema change\\)\\.`),
    );
    assert.match(readFileSync(join(project.migrations, 'head.txt'), 'utf8'), new RegExp(`\\n${mergeId}\\n$`));
    const shown = await show({ ...o(), revision: mergeId });
    assert.deepEqual([shown.parents, shown.mergepoint, shown.head], [[B.id, C.id], true, true]);
    assert.equal(headsFailure({ heads: [mergeId], headFile: [mergeId], migrationsDir: 'm' }), undefined);
    await rejectsWith(merge({ ...o(), message: 'again' }), /^Nothing to merge: the revisions have one head/);
  });

  test('both databases end at the merge revision with identical schemas', async () => {
    assert.equal(toText(await on(dev, () => upgrade(o()))), `Applied ${mergeId} merge heads\n1 revision applied; now at ${mergeId} (head).`);
    const fresh = await on(prod, () => upgrade(o()));
    assert.deepEqual(
      fresh.applied.map((r) => r.id),
      [A.id, B.id, C.id, mergeId],
    );
    assert.deepEqual(await schemaOf(dev), await schemaOf(prod));
    assert.deepEqual(
      (await schemaOf(prod)).map((c) => c.split('.')[0]),
      ['customer', 'orders', 'product'],
    );
    for (const db of [dev, prod])
      assert.match(toText(await on(db, () => current(o()))), new RegExp(`^${mergeId} \\(head\\) \\(mergepoint\\), merge heads\\nAt head\\.$`));
  });

  test('downgrade of the mergepoint: -1 is ambiguous; to one parent keeps the other branch', async () => {
    await rejectsWith(
      on(dev, () => downgrade({ ...o(), revision: '-1' })),
      new RegExp(`^Ambiguous revision '-1': ${mergeId} is a mergepoint of ${B.id}, ${C.id}`),
    );
    const result = await on(dev, () => downgrade({ ...o(), revision: B.id }));
    assert.equal(toText(result), `Reverted ${mergeId} merge heads\n1 revision reverted; now at ${B.id} and ${C.id} (2 branches).`);
    assert.deepEqual(await dev.tables(), ['customer', 'mikro_orm_migrations', 'orders', 'product']);
    const back = (await on(dev, () => downgrade({ ...o(), revision: `${C.id}@-1` }))) as DowngradeResult;
    assert.deepEqual(
      back.reverted.map((r) => r.id),
      [C.id],
      'only the c branch',
    );
    assert.equal(
      toText(await on(dev, () => upgrade({ ...o(), revision: mergeId })))
        .split('\n')
        .at(-1),
      `2 revisions applied; now at ${mergeId} (head).`,
    );
  });

  test('stamp with several heads: both branches are recorded', async () => {
    const result = await on(prod, () => stamp({ ...o(), revision: `${B.id} ${C.id}` }));
    assert.equal(toText(result), `Unrecorded ${mergeId} merge heads\nStamped at ${B.id} and ${C.id} (2 branches); no migration SQL was run.`);
    assert.deepEqual(
      await prod.applied(),
      [A, B, C].map((r) => `${r.id}_${r.message.replace(/ /g, '_')}`),
    );
  });

  test('db-check fails on a head.txt that disagrees with the graph, naming merge', async () => {
    writeFileSync(join(project.migrations, 'head.txt'), `${C.id}\n`);
    await rejectsWith(
      on(prod, () => checkOrFail(o())),
      new RegExp(`head\\.txt names ${C.id}, but the head revision is ${mergeId}\\. .*veloiq db merge`),
    );
  });

  test('migrate --head and --branch-label write the parent and the label; label@head names the branch', async () => {
    await rejectsWith(
      on(dev, () => migrate({ ...o(), message: 'x', branchLabel: 'head' })),
      /^Invalid branch label 'head'/,
    );
    await rejectsWith(
      on(dev, () => migrate({ ...o(), message: 'x', head: A.id })),
      new RegExp(`^The database has ${mergeId} applied, which ${A.id} does not include`),
    );
    const result = await on(dev, () => migrate({ ...o(), message: 'sample tables', head: mergeId, branchLabel: 'shop' }));
    const written = result.revision!;
    assert.deepEqual([written.parents, written.labels], [[mergeId], ['shop']]);
    const text = readFileSync(join(project.migrations, `${written.id}_sample_tables.ts`), 'utf8');
    assert.match(text, new RegExp(` \\* Parent: ${mergeId}\\n \\* Branch labels: shop\\n`));
    assert.deepEqual((await show({ ...o(), revision: written.id })).labels, ['shop']);
    assert.deepEqual(readFileSync(join(project.migrations, 'head.txt'), 'utf8').trim().split('\n').at(-1), written.id);
    const up = await on(dev, () => upgrade({ ...o(), revision: 'shop@head' }));
    assert.deepEqual(
      up.applied.map((r) => r.id),
      [written.id],
    );
    await rejectsWith(
      on(dev, () => migrate({ ...o(), message: 'y', branchLabel: 'shop' })),
      /^The branch label 'shop' is already used/,
    );
  });
});
