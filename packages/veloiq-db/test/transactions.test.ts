// Transaction modes: one transaction per run (default), --transaction-per-migration, and
// revisions that declare isTransactional() false (CREATE INDEX CONCURRENTLY).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { checkOrFail } from '../src/commands/check';
import { downgrade } from '../src/commands/downgrade';
import { upgrade } from '../src/commands/upgrade';
import { UserError } from '../src/core/errors';
import { runEngine, writeRevision } from './safety-fixtures';
import { copySample, createTestDatabase, missingSystemPg, type TestDatabase, type TestProject } from './support';

const TABLE = 'create table "tx_item" ("id" serial primary key, "code" text)';

describe('transaction modes', async () => {
  const skip = await missingSystemPg();
  let project: TestProject;
  let db: TestDatabase;
  let sampleNames: string[];
  const options = (extra: object = {}) => ({ projectRoot: project.root, cwd: project.root, env: { DATABASE_URL: db.url }, ...extra });

  beforeEach(async () => {
    project = copySample();
    sampleNames = readdirSync(project.migrations)
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    db = await createTestDatabase('vq_tx');
  });
  afterEach(async () => {
    await db.drop();
    project.remove();
  });

  async function failure(promise: Promise<unknown>): Promise<string> {
    const error = await promise.then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof UserError, String(error));
    assert.doesNotMatch(error.message, /\n/);
    return error.message;
  }

  test('default: one transaction for the run; a failure keeps nothing', { skip }, async () => {
    writeRevision(project.migrations, 'mx000001', 'items', [TABLE]);
    writeRevision(project.migrations, 'mx000002', 'broken', ['alter table "tx_item" add column "code" text']);
    const message = await failure(upgrade(options()));
    assert.match(message, /Revision mx000002 \(broken\) failed to apply: .*already exists\. Nothing was changed/);
    assert.deepEqual(await db.tables(), []);
  });

  test('--transaction-per-migration: the revisions before the failing one stay applied and recorded', { skip }, async () => {
    writeRevision(project.migrations, 'mx000001', 'items', [TABLE]);
    writeRevision(project.migrations, 'mx000002', 'broken', ['insert into "tx_item" ("code") values (\'a\')', 'alter table "tx_item" add column "code" text']);
    const message = await failure(upgrade(options({ transactionPerMigration: true })));
    assert.match(
      message,
      /Revision mx000002 \(broken\) failed to apply: .*already exists\. .*mx000001 were applied and committed before it; the rest was rolled back/,
    );
    assert.deepEqual(await db.applied(), [...sampleNames, 'mx000001_items']);
    assert.deepEqual(await db.query('select count(*)::int as n from tx_item'), [{ n: 0 }], "the failing revision's own statements were rolled back");
  });

  test(
    '--transaction-per-migration over many revisions: one that reads the database sees those before it; a failure deep in keeps exactly the ones before it',
    { skip },
    async () => {
      // Enough revisions for several round trips of many revisions each (see commitEach).
      const id = (i: number) => `mx${String(i).padStart(6, '0')}`;
      for (let i = 1; i <= 150; i++) writeRevision(project.migrations, id(i), `t${i}`, [`create table "tx_${i}" ("id" serial primary key)`]);
      // Reads in up(): tx_60, committed in the same run just before it, must exist by then.
      writeRevision(project.migrations, id(61), 't61', [], {
        body: `    const [{ n }] = await this.execute('select count(*)::int as n from "tx_60"');\n    this.addSql(\`create table "tx_61" ("id" serial primary key, "seen" int default \${n})\`);`,
      });
      writeRevision(project.migrations, id(120), 't120', ['create table "tx_1" ("id" serial primary key)']);
      // The failing revision runs again on its own to name its statement: had the failed round trip
      // left its pooled connection in an aborted transaction, this would be "current transaction is aborted".
      const message = await failure(upgrade(options({ transactionPerMigration: true })));
      const kept = `the ${sampleNames.length + 119} revisions ${sampleNames[0].slice(0, 8)} to mx000119 were applied and committed before it`;
      assert.match(message, new RegExp(`^Revision mx000120 \\(t120\\) failed to apply: .*"tx_1" already exists\\. ${kept}; the rest was rolled back`));
      const applied = await db.applied();
      assert.deepEqual(
        applied.slice(sampleNames.length),
        Array.from({ length: 119 }, (_, k) => `${id(k + 1)}_t${k + 1}`),
      );
      const tables = await db.tables();
      assert.ok(tables.includes('tx_119') && tables.includes('tx_61') && !tables.includes('tx_121'), 'the tables of exactly the committed revisions');
      writeRevision(project.migrations, id(120), 't120', ['create table "tx_120" ("id" serial primary key)']);
      // A process of its own, as a user's next command: this one holds the edited file's module.
      const next = await runEngine('upgrade', project.root, { transactionPerMigration: true }, { DATABASE_URL: db.url });
      assert.equal(next.code, 0, next.stderr);
      assert.equal((await db.applied()).length, sampleNames.length + 150);
    },
  );

  test('a non-transactional revision (CREATE INDEX CONCURRENTLY) runs on its own between the others', { skip }, async () => {
    writeRevision(project.migrations, 'mx000001', 'items', [TABLE]);
    writeRevision(project.migrations, 'mx000002', 'index_concurrently', ['create index concurrently if not exists "tx_item_code_idx" on "tx_item" ("code")'], {
      transactional: false,
    });
    writeRevision(project.migrations, 'mx000003', 'more', ['alter table "tx_item" add column "note" text']);
    const result = await upgrade(options());
    assert.deepEqual(result.applied.map((a) => a.id).slice(-3), ['mx000001', 'mx000002', 'mx000003']);
    assert.deepEqual(await db.applied(), [...sampleNames, 'mx000001_items', 'mx000002_index_concurrently', 'mx000003_more']);
    const [{ valid }] = await db.query<{ valid: boolean }>(`select indisvalid as valid from pg_index where indexrelid = 'tx_item_code_idx'::regclass`);
    assert.equal(valid, true);
  });

  test('downgrade reverts a non-transactional revision on its own too (DROP INDEX CONCURRENTLY)', { skip }, async () => {
    writeRevision(project.migrations, 'mx000001', 'items', [TABLE], { down: ['drop table "tx_item"'] });
    writeRevision(project.migrations, 'mx000002', 'index_concurrently', ['create index concurrently "tx_item_code_idx" on "tx_item" ("code")'], {
      transactional: false,
      down: ['drop index concurrently "tx_item_code_idx"'],
    });
    await upgrade(options());
    const result = await downgrade(options({ revision: '-2' }));
    assert.ok('reverted' in result);
    assert.deepEqual(
      result.reverted.map((r) => r.id),
      ['mx000002', 'mx000001'],
    );
    assert.deepEqual(await db.applied(), sampleNames);
    assert.ok(!(await db.tables()).includes('tx_item'));
  });

  test('check replays a non-transactional revision outside a transaction too (VACUUM)', { skip }, async () => {
    writeRevision(project.migrations, 'mx000001', 'vacuum_products', ['vacuum "product"'], { transactional: false });
    const result = await checkOrFail(options());
    assert.equal(result.ok, true);
  });

  test('the same revision marked transactional fails, as PostgreSQL refuses CONCURRENTLY in a transaction', { skip }, async () => {
    writeRevision(project.migrations, 'mx000001', 'items', [TABLE, 'create index concurrently "tx_item_code_idx" on "tx_item" ("code")']);
    const message = await failure(upgrade(options()));
    assert.match(message, /cannot run inside a transaction block\. Nothing was changed/);
    assert.deepEqual(await db.tables(), []);
  });

  test('a failing non-transactional revision keeps what ran before it and says so', { skip }, async () => {
    writeRevision(project.migrations, 'mx000001', 'items', [TABLE]);
    writeRevision(
      project.migrations,
      'mx000002',
      'half_done',
      ['create index concurrently "tx_item_code_idx" on "tx_item" ("code")', 'create index concurrently "tx_item_code_idx" on "tx_item" ("code")'],
      { transactional: false },
    );
    const message = await failure(upgrade(options()));
    assert.match(
      message,
      /Revision mx000002 \(half done\) failed to apply: .*already exists\. .*mx000001 were applied and committed before it; it runs outside a transaction, so its statements before the failing one stay applied and it is not recorded/,
    );
    assert.deepEqual(await db.applied(), [...sampleNames, 'mx000001_items']);
    assert.equal((await db.query(`select 1 from pg_indexes where indexname = 'tx_item_code_idx'`)).length, 1);
  });
});
