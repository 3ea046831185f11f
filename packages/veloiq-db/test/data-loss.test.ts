// Data loss said out loud, on real PostgreSQL with rows in the tables: migrate names what a new
// revision loses (with row counts) and what db-lint finds, writes the acknowledgement for the
// losses, and generates a down() that runs on tables with rows.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { downgrade } from '../src/commands/downgrade';
import { generate } from '../src/commands/generate';
import { lint } from '../src/commands/lint';
import { migrate, type MigrateResult } from '../src/commands/migrate';
import { upgrade } from '../src/commands/upgrade';
import { splitConcurrentIndexes } from '../src/core/concurrent-indexes';
import { runnableReverts } from '../src/core/revert';
import { toText } from '../src/commands/report';
import { sampleWithDatabase, type SampleWithDatabase, type TestDatabase, type TestProject } from './support';

describe('runnableReverts (table-driven)', () => {
  const cases: [string, string][] = [
    [
      'alter table "a" add column "n" int4 not null;',
      '-- "n" comes back nullable and empty: a revert cannot restore dropped data.\nalter table "a" add column "n" int4 null;',
    ],
    ['alter table "a" add column "n" int not null default 0;', 'alter table "a" add column "n" int not null default 0;'],
    ['alter table "a" add column "n" int null;', 'alter table "a" add column "n" int null;'],
    [
      'alter table "a" add column "x" varchar(20) not null, add column "y" int not null default 1;',
      '-- "x" comes back nullable and empty: a revert cannot restore dropped data.\nalter table "a" add column "x" varchar(20) null, add column "y" int not null default 1;',
    ],
    ['alter table "a" alter column "n" type int4 using ("n"::int4);', 'alter table "a" alter column "n" type int4 using ("n"::int4);'],
    ['', ''],
  ];
  for (const [given, expected] of cases) test(given || '(group separator)', () => assert.deepEqual(runnableReverts([given]), [expected]));
});

describe('splitConcurrentIndexes', () => {
  test('an index on an existing table moves out, concurrent and repeatable; one on a new table stays', () => {
    const { main, concurrent } = splitConcurrentIndexes({
      up: [
        'alter table "p" add column "s" int null;',
        '',
        'create index "p_s_index" on "p" ("s");',
        'create table "t" ("id" int);',
        'create unique index "t_x" on "t" ("id");',
      ],
      down: ['drop index "p_s_index";', '', 'alter table "p" drop column "s";', 'drop table "t";'],
    });
    assert.deepEqual(main.up, ['alter table "p" add column "s" int null;', '', 'create table "t" ("id" int);', 'create unique index "t_x" on "t" ("id");']);
    assert.deepEqual(main.down, ['alter table "p" drop column "s";', 'drop table "t";']);
    assert.deepEqual(concurrent, {
      up: ['create index concurrently if not exists "p_s_index" on "p" ("s");'],
      down: ['drop index concurrently if exists "p_s_index";'],
    });
  });
});

describe('migrate on tables with rows', () => {
  let project: TestProject;
  let db: TestDatabase;
  let o: SampleWithDatabase['options'];
  let dispose: () => Promise<void>;
  const products = () => join(project.backend, 'src/modules/products/models.ts');
  const edit = (change: (text: string) => string) => writeFileSync(products(), change(readFileSync(products(), 'utf8')));
  const fileOf = (result: MigrateResult) => join(project.root, result.revision!.path);
  const generateAndMigrate = async (message: string) => {
    await generate(o);
    return migrate({ ...o, message });
  };

  // Each test edits the entities and writes revisions: it gets its own copy and database.
  beforeEach(async () => {
    ({ project, db, options: o, dispose } = await sampleWithDatabase('vq_loss'));
    await upgrade(o);
    await db.query(
      `insert into product (name, price_cents, created_at) values ('a', 1, now()), ('b', 2, now()), ('a much longer product name than fifty characters, on purpose', 3, now())`,
    );
  });
  afterEach(() => dispose());

  test('a narrowing type change is said out loud and acknowledged in the file; db-lint passes on it', async () => {
    edit((t) => t.replace('name: p.string().length(200)', 'name: p.string().length(50)'));
    const result = await generateAndMigrate('shorten product name');
    assert.deepEqual(
      result.losses.map((l) => [l.rule, l.table, l.column, l.rows]),
      [['changing-column-type', 'product', 'name', 3]],
    );
    const text = toText(result);
    assert.match(text, /DATA LOSS: this revision narrows column product\.name from varchar\(200\) to varchar\(50\): .* \(3 rows in the table\)\./);
    assert.match(text, /Lint up\(\), statement 1: changing-column-type \(acknowledged\)/);
    assert.match(readFileSync(fileOf(result), 'utf8'), /^\/\/ veloiq-lint: accept changing-column-type -- narrows column product\.name/m);
    const linted = await lint({ ...o, revision: result.revision!.id });
    assert.deepEqual([linted.ok, linted.findings.map((f) => [f.rule, f.acknowledged])], [true, [['changing-column-type', true]]]);
    // The long name does not fit: applying the revision would fail, so this test stops here.
  });

  test('a required column added to a table with rows: flagged, not acknowledged, and db-lint fails naming the revision', async () => {
    edit((t) => t.replace('priceCents: p.integer(),', 'priceCents: p.integer(),\n    sku: p.string().length(20),'));
    const result = await generateAndMigrate('add required sku');
    assert.deepEqual(result.losses, []);
    assert.match(toText(result), /Lint up\(\), statement 1: adding-required-field: /);
    assert.match(toText(result), /'veloiq db lint' fails on this finding until the revision is made safe or acknowledges it\./);
    const linted = await lint({ ...o, revision: result.revision!.id });
    assert.equal(linted.ok, false);
    assert.deepEqual(
      linted.findings.map((f) => [f.revision, f.rule, f.direction]),
      [[result.revision!.id, 'adding-required-field', 'up']],
    );
  });

  test('a non-concurrent index on a table with rows is flagged by db-lint', async () => {
    edit((t) => t.replace('priceCents: p.integer(),', 'priceCents: p.integer().index(),'));
    const result = await generateAndMigrate('index price');
    const linted = await lint({ ...o, revision: result.revision!.id });
    assert.equal(linted.ok, false);
    assert.ok(
      linted.findings.some((f) => f.revision === result.revision!.id && f.rule === 'require-concurrent-index-creation' && f.direction === 'up'),
      toText(linted),
    );
  });

  test('--concurrent-indexes: the index goes in a non-transactional revision of its own, built concurrently; it lints clean, applies and reverts', async () => {
    edit((t) => t.replace('priceCents: p.integer(),', 'priceCents: p.integer().index(),\n    note: p.string().length(40).nullable(),'));
    await generate(o);
    const result = await migrate({ ...o, message: 'index price', concurrentIndexes: true });
    assert.ok(result.revision && result.indexRevision);
    const main = readFileSync(fileOf(result), 'utf8');
    const indexes = readFileSync(join(project.root, result.indexRevision.path), 'utf8');
    assert.match(main, /add column "note"/);
    assert.doesNotMatch(main, /create index/);
    assert.match(indexes, /override isTransactional\(\): boolean \{\n    return false;/);
    assert.match(indexes, /create index concurrently if not exists "product_price_cents_index" on "product" \("price_cents"\)/);
    assert.match(indexes, /drop index concurrently if exists "product_price_cents_index"/);
    assert.match(toText(result), /\(its indexes, built concurrently: runs outside a transaction\)/);
    const linted = await lint({ ...o, revision: `${result.revision.id}:head` });
    assert.deepEqual([linted.ok, linted.findings], [true, []], toText(linted));
    await upgrade(o);
    const [{ n }] = await db.query<{ n: number }>(`select count(*)::int as n from pg_indexes where indexname = 'product_price_cents_index'`);
    assert.equal(n, 1);
    await downgrade({ ...o, revision: -2 });
    await upgrade(o);
  });

  test('a dropped column: its row count said out loud; without its acknowledgement db-lint fails; upgrade, downgrade, upgrade all run', async () => {
    edit((t) => t.replace('    name: p.string().length(200),\n', ''));
    const result = await generateAndMigrate('drop product name');
    assert.deepEqual(
      result.losses.map((l) => [l.rule, l.what, l.rows]),
      [['ban-drop-column', 'drops column product.name', 3]],
    );
    const text = toText(result);
    assert.match(text, /DATA LOSS: this revision drops column product\.name \(values in 3 rows\)\./);
    assert.match(text, /delete a line if that loss is not intended/);
    const source = readFileSync(fileOf(result), 'utf8');
    assert.match(source, /^\/\/ veloiq-lint: accept ban-drop-column -- drops column product\.name \(values in 3 rows\)$/m);
    assert.match(
      source,
      /-- "name" comes back nullable and empty: a revert cannot restore dropped data\.\nalter table "product" add column "name" varchar\(200\) null;/,
    );
    assert.equal((await lint({ ...o, revision: result.revision!.id })).ok, true, 'acknowledged: passes');

    writeFileSync(fileOf(result), source.replace(/^\/\/ veloiq-lint: accept ban-drop-column.*\n/m, ''));
    const unacknowledged = await lint({ ...o, revision: result.revision!.id });
    assert.equal(unacknowledged.ok, false);
    const report = toText(unacknowledged);
    assert.match(
      report,
      new RegExp(`${result.revision!.id}_drop_product_name\\.ts \\(revision ${result.revision!.id}\\) up\\(\\), statement 1: ban-drop-column`),
    );
    assert.match(report, /alter table "product" drop column "name"/);
    assert.match(report, /add the line '\/\/ veloiq-lint: accept ban-drop-column' to backend\/migrations\//);

    await upgrade(o);
    await downgrade({ ...o, revision: -1 });
    const [{ n }] = await db.query<{ n: number }>(`select count(*)::int as n from product where name is null`);
    assert.equal(n, 3, 'the column is back, empty, on every row');
    await upgrade(o);
    const again = await generateAndMigrate('anything left');
    assert.equal(again.revision, null, 'the schema equals the entities');
  });
});
