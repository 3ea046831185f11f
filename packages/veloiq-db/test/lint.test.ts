// db-lint: each revision's SQL, rendered offline, linted by the real squawk; every finding names
// its rule, revision and statement; an acknowledged finding passes. Runs on copies of the sample
// (no database: lint opens none), and once through real Nx in a clone of the repository.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { lint, type LintOptions, type LintResult } from '../src/commands/lint';
import { withEnvironment } from '../src/commands/session';
import { acknowledgementLine } from '../src/core/lint-findings';
import { toJson, toText } from '../src/commands/report';
import { A, B, C, nameOf, useRevisions, writeRevision, type RevisionSpec } from './revision-fixtures';
import { WORKSPACE, copySample, nx, type TestProject } from './support';

/** Nothing listens on port 1: lint must not connect. */
const NOWHERE = 'postgresql://app:s3cret@127.0.0.1:1/nowhere';

const change = (id: string, description: string, up: string[], down: string[]): RevisionSpec => ({
  id,
  slug: description.replace(/ /g, '_'),
  description,
  up,
  down,
});

const DROP = change(
  'my000001',
  'drop product name',
  [`alter table "product" drop column "name";`],
  [`alter table "product" add column "name" varchar(200) null;`],
);
const NARROW = change(
  'my000002',
  'narrow customer email',
  [`alter table "customer" alter column "email" type varchar(100) using ("email"::varchar(100));`],
  [`alter table "customer" alter column "email" type varchar(320) using ("email"::varchar(320));`],
);
const REQUIRED = change('my000003', 'add sku', [`alter table "orders" add column "sku" varchar(20) not null;`], [`alter table "orders" drop column "sku";`]);
const INDEX = change('my000004', 'index sku', [`create index "orders_sku_index" on "orders" ("sku");`], [`drop index "orders_sku_index";`]);

describe('db-lint on revision files', () => {
  let project: TestProject;
  /** lint never connects: the project's DATABASE_URL names a server that does not answer. */
  const linted = (extra: Partial<LintOptions> = {}) =>
    withEnvironment({ DATABASE_URL: NOWHERE }, () => lint({ projectRoot: project.root, cwd: project.root, ...extra }));
  // Each test replaces the revisions (and the squawk config): it gets its own copy.
  beforeEach(() => {
    project = copySample();
  });
  afterEach(() => {
    project.remove();
  });

  test("the sample's own revisions lint clean under the default rules", async () => {
    const result = await linted();
    assert.deepEqual([result.ok, result.findings, result.revisions], [true, [], 2]);
    assert.match(toText(result), /^Linted 2 revisions: no findings\.$/);
  });

  test('the fixtures (tables created with their constraints, dropped again in down()) lint clean', async () => {
    useRevisions(project.migrations, [A, B, C]);
    const result = await linted();
    assert.deepEqual([result.ok, result.findings], [true, []]);
  });

  test('a drop column, a narrowing, a required column and a blocking index: each flagged with its rule, revision and statement', async () => {
    useRevisions(project.migrations, [A, B, C, DROP, NARROW, REQUIRED, INDEX]);
    const result = await linted();
    assert.equal(result.ok, false);
    const seen = result.findings.map((f) => [f.revision, f.direction, f.rule, f.statement, f.acknowledged]);
    assert.deepEqual(seen, [
      [DROP.id, 'up', 'ban-drop-column', DROP.up[0].replace(/;$/, ''), false],
      [NARROW.id, 'up', 'changing-column-type', NARROW.up[0].replace(/;$/, ''), false],
      [REQUIRED.id, 'up', 'adding-required-field', REQUIRED.up[0].replace(/;$/, ''), false],
      [INDEX.id, 'up', 'require-concurrent-index-creation', INDEX.up[0].replace(/;$/, ''), false],
      [INDEX.id, 'down', 'require-concurrent-index-deletion', INDEX.down[0].replace(/;$/, ''), false],
    ]);
    const text = toText(result);
    assert.match(text, new RegExp(`migrations/${nameOf(DROP)}\\.ts \\(revision ${DROP.id}\\) up\\(\\), statement 1: ban-drop-column`));
    assert.match(text, /add the line '\/\/ veloiq-lint: accept ban-drop-column' to /);
    assert.match(text.split('\n').at(-1)!, /5 unacknowledged findings in 4 revisions/);
    assert.match(text.split('\n').at(-1)!, new RegExp(`${DROP.id}, ${NARROW.id}, ${REQUIRED.id}, ${INDEX.id}`));
    const json = JSON.parse(toJson(result)) as Omit<LintResult, 'kind'>;
    assert.equal(json.ok, false);
    assert.equal(json.findings[0].file, `backend/migrations/${nameOf(DROP)}.ts`);
  });

  test('the acknowledged form passes, and still lists what it accepted', async () => {
    useRevisions(project.migrations, [A, B, C, DROP, NARROW, REQUIRED, INDEX]);
    const accept = (r: RevisionSpec, ...rules: string[]) =>
      appendFileSync(join(project.migrations, `${nameOf(r)}.ts`), rules.map((rule) => acknowledgementLine(rule, 'reviewed')).join('\n') + '\n');
    accept(DROP, 'ban-drop-column');
    accept(NARROW, 'changing-column-type');
    accept(REQUIRED, 'adding-required-field');
    const partly = await linted();
    assert.equal(partly.ok, false, 'the index is not acknowledged yet');
    assert.deepEqual([...new Set(partly.findings.filter((f) => !f.acknowledged).map((f) => f.revision))], [INDEX.id]);
    accept(INDEX, 'require-concurrent-index-creation', 'require-concurrent-index-deletion');
    const result = await linted();
    assert.equal(result.ok, true);
    assert.equal(result.findings.length, 5, 'the five findings of the unacknowledged run');
    assert.ok(result.findings.every((f) => f.acknowledged));
    assert.match(toText(result), /findings, all acknowledged\.$/);
  });

  test('a range lints only the revisions after <from>; the project can turn a rule off', async () => {
    useRevisions(project.migrations, [A, B, C, DROP, NARROW]);
    const range = await linted({ revision: `${DROP.id}:head` });
    assert.equal(range.revisions, 1);
    assert.deepEqual([...new Set(range.findings.map((f) => f.revision))], [NARROW.id]);
    const off = await linted({ exclude: 'ban-drop-column,changing-column-type' });
    assert.deepEqual([off.ok, off.findings], [true, []]);
  });

  test('a .squawk.toml in backend/ replaces the default rules', async () => {
    useRevisions(project.migrations, [A, B, C, DROP]);
    writeFileSync(join(project.backend, '.squawk.toml'), `excluded_rules = ["ban-drop-column"]\n`);
    const result = await linted();
    assert.equal(result.rules.config, 'backend/.squawk.toml');
    assert.ok(!result.findings.some((f) => f.rule === 'ban-drop-column'));
    assert.ok(
      result.findings.some((f) => f.rule === 'prefer-bigint-over-int'),
      "the defaults are the file's, not ours",
    );
  });

  test('a concurrent index in a transactional revision is flagged; in a non-transactional one it is not', async () => {
    const concurrent = change(
      'my000005',
      'index name concurrently',
      [`create index concurrently if not exists "product_name_index" on "product" ("name");`],
      [`drop index concurrently if exists "product_name_index";`],
    );
    useRevisions(project.migrations, [A, concurrent]);
    const inTransaction = await linted();
    assert.ok(
      inTransaction.findings.some((f) => f.revision === concurrent.id && f.rule === 'ban-concurrent-index-creation-in-transaction'),
      toText(inTransaction),
    );
    // Another id: the first file stays loaded in this process.
    const outsideTransaction = { ...concurrent, id: 'my000006' };
    useRevisions(project.migrations, [A, outsideTransaction]);
    const file = join(project.migrations, `${nameOf(outsideTransaction)}.ts`);
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('  override async up()', '  override isTransactional(): boolean {\n    return false;\n  }\n\n  override async up()'),
    );
    const outside = await linted();
    assert.deepEqual([outside.ok, outside.findings], [true, []], toText(outside));
  });
});

describe('db-lint through real Nx, in a clone of the repository', () => {
  let clone: string;
  before(() => {
    clone = mkdtempSync(join(tmpdir(), 'veloiq-lint-'));
    execFileSync('git', ['clone', '--quiet', '--no-hardlinks', WORKSPACE, clone]);
    symlinkSync(join(WORKSPACE, 'node_modules'), join(clone, 'node_modules'), 'dir');
  });
  after(() => rmSync(clone, { recursive: true, force: true }));

  test('fails naming the rule and the revision, passes once acknowledged, then is a cache hit', async () => {
    const env = { NX_CACHE_DIRECTORY: join(clone, '.nx', 'test-cache'), DATABASE_URL: NOWHERE };
    const migrations = join(clone, 'apps/billing/backend/migrations');
    const drop = change(
      'zz000001',
      'drop invoice currency',
      [`alter table "invoice" drop column "currency";`],
      [`alter table "invoice" add column "currency" varchar(3) null;`],
    );
    writeRevision(migrations, drop);
    const failed = await nx(['run', 'billing:db-lint'], { cwd: clone, env });
    assert.notEqual(failed.code, 0, failed.stdout + failed.stderr);
    assert.match(failed.stdout, /zz000001_drop_invoice_currency\.ts \(revision zz000001\) up\(\), statement 1: ban-drop-column/);
    assert.match(failed.stdout, /alter table "invoice" drop column "currency"/);

    appendFileSync(join(migrations, `${nameOf(drop)}.ts`), acknowledgementLine('ban-drop-column', 'currency moves to the customer') + '\n');
    const passed = await nx(['run', 'billing:db-lint'], { cwd: clone, env });
    assert.equal(passed.code, 0, passed.stdout + passed.stderr);
    assert.match(passed.stdout, /Linted 3 revisions: 1 finding, all acknowledged\./);
    const hit = await nx(['run', 'billing:db-lint'], { cwd: clone, env });
    assert.equal(hit.code, 0);
    assert.match(hit.stdout + hit.stderr, /local cache|existing outputs match the cache/);
    assert.match(hit.stdout, /1 finding, all acknowledged/);
  });
});
