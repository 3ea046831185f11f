// `veloiq db check`: do the revisions hold every entity change? Real PostgreSQL, no mocks.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { check, checkOrFail } from '../src/commands/check';
import { downgrade } from '../src/commands/downgrade';
import { generate } from '../src/commands/generate';
import { migrate } from '../src/commands/migrate';
import { upgrade } from '../src/commands/upgrade';
import { UserError } from '../src/core/errors';
import { toText } from '../src/commands/report';
import { adminQuery, copySample, createTestDatabase, SYSTEM_PG, type TestDatabase, type TestProject } from './support';

/** Temporary databases this process left on the server: there must be none. */
async function leftoverScratch(): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>(SYSTEM_PG, `select datname from pg_database where datname like $1`, [`veloiq_scratch_${process.pid}_%`]);
  return rows.map((r) => r.datname);
}

describe('check on a copy of the sample', () => {
  let project: TestProject;
  let db: TestDatabase;
  let o: { projectRoot: string; cwd: string; env: { DATABASE_URL: string | undefined } };
  const products = () => join(project.backend, 'src/modules/products/models.ts');

  // Each test edits its own copy and database.
  beforeEach(async () => {
    project = copySample();
    db = await createTestDatabase('vq_check');
    o = { projectRoot: project.root, cwd: project.root, env: { DATABASE_URL: db.url } };
  });
  afterEach(async () => {
    await db.drop();
    project.remove();
  });

  test('passes when the revisions hold the entities, without touching the project database', async () => {
    const result = await check(o);
    assert.equal(result.ok, true);
    assert.equal(result.revisions, 2);
    assert.match(toText(result), /^No differences: the 2 revisions in backend\/migrations hold every entity change\.$/);
    assert.deepEqual(await db.tables(), [], 'the project database was not migrated or recorded into');
    assert.deepEqual(await leftoverScratch(), []);
  });

  test('each entity file runs once a check: the config imports the modules the registry check loaded', async () => {
    const original = readFileSync(products(), 'utf8');
    const runs = globalThis as { veloiqEntityRuns?: number };
    writeFileSync(
      products(),
      `${original}\n(globalThis as { veloiqEntityRuns?: number }).veloiqEntityRuns = ((globalThis as { veloiqEntityRuns?: number }).veloiqEntityRuns ?? 0) + 1;\n`,
    );
    try {
      runs.veloiqEntityRuns = 0;
      assert.equal((await check(o)).ok, true);
      assert.equal(runs.veloiqEntityRuns, 1);
      runs.veloiqEntityRuns = 0;
      await assert.rejects(migrate({ ...o, message: 'nothing to do' }), /no changes|not at head/i);
      assert.equal(runs.veloiqEntityRuns, 1, 'migrate loads them once too');
    } finally {
      writeFileSync(products(), original);
    }
  });

  test('fails, naming what differs, when an entity change has no revision; passes once migrate wrote one', async () => {
    const original = readFileSync(products(), 'utf8');
    writeFileSync(products(), original.replace('priceCents: p.integer(),', 'priceCents: p.integer(),\n    color: p.string().length(30).nullable(),'));
    await generate(o);
    const result = await check(o);
    assert.equal(result.ok, false);
    assert.deepEqual(result.changes, [{ action: 'added', object: 'column', name: 'product.color' }]);
    await assert.rejects(checkOrFail(o), (error: Error) => {
      assert.ok(error instanceof UserError);
      assert.equal(
        error.message,
        'The entities have changes that no revision in backend/migrations holds: added column product.color. Create one: veloiq db migrate -m "describe the change".',
      );
      return true;
    });

    await upgrade(o);
    await migrate({ ...o, message: 'add color to product' });
    assert.equal((await checkOrFail(o)).ok, true);
    // What the project database has applied plays no part.
    await downgrade({ ...o, revision: 'base' });
    assert.equal((await check(o)).ok, true);
    assert.deepEqual(await leftoverScratch(), []);
  });

  test('a removed entity is named as a dropped table', async () => {
    const registry = join(project.backend, 'src/generated/entities.ts');
    // The module goes away with its entity (a models.ts left without one is an error of its own).
    rmSync(join(project.backend, 'src/modules/orders'), { recursive: true });
    await generate(o);
    assert.doesNotMatch(readFileSync(registry, 'utf8'), /Order/);
    const result = await check(o);
    assert.equal(result.ok, false);
    assert.deepEqual(result.changes, [{ action: 'dropped', object: 'table', name: 'orders' }]);
  });

  test('a revision that fails to replay is named, and the temporary database is dropped', async () => {
    const broken = join(project.migrations, 'zzzzzzzz_broken.ts');
    writeFileSync(
      broken,
      `/**\n * broken on purpose\n */\nimport { Migration } from '@mikro-orm/migrations';\n\nexport class Migration_zzzzzzzz extends Migration {\n  override async up(): Promise<void> {\n    this.addSql('alter table "nope" add column "x" int;');\n  }\n}\n`,
    );
    await assert.rejects(check(o), /Revision zzzzzzzz \(broken on purpose\) failed to apply: .*"nope"/);
    assert.deepEqual(await leftoverScratch(), []);
  });

  test('with no DATABASE_URL it runs on the embedded PostgreSQL: no server to install', async () => {
    const result = await check({ ...o, env: { DATABASE_URL: undefined } });
    assert.equal(result.ok, true);
    assert.equal(result.revisions, 2);
  });
});
