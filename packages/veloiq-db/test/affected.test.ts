// Affected-project CI: `nx affected -t db-check --base=X --head=Y` checks only the apps whose
// files changed, and a change to @veloiq/db itself affects every app that uses it. Runs in a
// throwaway clone of this repository (its commits never touch the workspace's own history).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { generate } from '../src/commands/generate';
import { migrate } from '../src/commands/migrate';
import { upgrade } from '../src/commands/upgrade';
import { cloneWorkspace, createTestDatabase, missingSystemPg, nx, type TestDatabase, type WorkspaceClone } from './support';

const INVOICE = 'apps/billing/backend/src/modules/invoices/models.ts';

describe('nx affected -t db-check, in a clone of the repository', () => {
  // One clone for the file; each test starts from its first commit (`base`), with its own database.
  let workspace: WorkspaceClone | undefined;
  let clone: string;
  let base: string;
  let db: TestDatabase | undefined;
  let skip: string | false;

  const git = (...args: string[]) => workspace!.git(...args);
  const commit = (message: string) => {
    git('add', '-A');
    git('commit', '-q', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  const affected = async (baseRef: string, headRef: string) => {
    const result = await nx(['show', 'projects', '--affected', `--base=${baseRef}`, `--head=${headRef}`, '--with-target', 'db-check', '--json'], {
      cwd: clone,
    });
    assert.equal(result.code, 0, result.stderr);
    return (JSON.parse(result.stdout) as string[]).sort();
  };
  /** Billing's invoice gains a column that no revision holds yet. */
  const addDueDate = () => {
    const models = readFileSync(join(clone, INVOICE), 'utf8');
    writeFileSync(
      join(clone, INVOICE),
      models.replace('    paidAt: p.datetime().nullable(),\n', '    paidAt: p.datetime().nullable(),\n    dueAt: p.datetime().nullable(),\n'),
    );
    assert.notEqual(readFileSync(join(clone, INVOICE), 'utf8'), models, 'the entity changed');
  };

  before(async () => {
    skip = await missingSystemPg();
    if (skip) return;
    workspace = cloneWorkspace();
    clone = workspace.root;
    base = git('rev-parse', 'HEAD');
  });
  beforeEach(async () => {
    if (skip) return;
    // Commits and edits of an earlier test go; ignored files (Nx's cache, node_modules) stay.
    git('reset', '-q', '--hard', base);
    git('clean', '-q', '-f', '-d');
    db = await createTestDatabase('vq_affected');
  });
  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });
  after(() => workspace?.remove());

  test('an entity change in billing checks billing alone, and fails naming the missing column', async (t) => {
    if (skip) return t.skip(skip);
    addDueDate();
    const head = commit('billing: invoice due date');

    assert.deepEqual(await affected(base, head), ['billing']);

    const run = await nx(['affected', '-t', 'db-check', `--base=${base}`, `--head=${head}`, '--skip-nx-cache'], { cwd: clone, env: { DATABASE_URL: db!.url } });
    const output = run.stdout + run.stderr;
    assert.notEqual(run.code, 0, 'the check fails: no revision holds due_at yet');
    assert.match(output, /nx run billing:db-check/);
    assert.match(output, /nx run billing:generate/, 'generate ran first');
    assert.doesNotMatch(output, /sample:/, 'sample is not checked');
    assert.match(output, /due_at|dueAt/);
  });

  test('with its revision committed, the same affected run passes, still for billing alone', async (t) => {
    if (skip) return t.skip(skip);
    addDueDate();
    commit('billing: invoice due date');
    // The revision is written as a developer would (generate, upgrade, migrate): through the
    // engine, since what this test checks is the affected run.
    const billing = join(clone, 'apps/billing');
    const o = { projectRoot: billing, cwd: billing, env: { DATABASE_URL: db!.url }, notify: () => undefined };
    await generate(o);
    await upgrade(o);
    await migrate({ ...o, message: 'add due date to invoice' });
    assert.ok(readdirSync(join(billing, 'backend/migrations')).some((f) => f.endsWith('_add_due_date_to_invoice.ts')));
    const head = commit('billing: revision for the due date');

    assert.deepEqual(await affected(base, head), ['billing']);
    const run = await nx(['affected', '-t', 'db-check', `--base=${base}`, `--head=${head}`, '--skip-nx-cache'], { cwd: clone, env: { DATABASE_URL: db!.url } });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /nx run billing:db-check/);
    assert.doesNotMatch(run.stdout, /sample:/);
  });

  test('a change in packages/veloiq-db affects every app that uses it', async (t) => {
    if (skip) return t.skip(skip);
    const file = join(clone, 'packages/veloiq-db/src/core/env.ts');
    writeFileSync(file, readFileSync(file, 'utf8') + '\n// a change to the plugin\n');
    const head = commit('plugin change');
    assert.deepEqual(await affected(base, head), ['billing', 'fixture-decorators', 'sample']);
    // And a change in sample alone leaves billing out.
    const sampleModels = join(clone, 'apps/sample/backend/src/modules/products/models.ts');
    writeFileSync(sampleModels, readFileSync(sampleModels, 'utf8') + '\n// touched\n');
    const head2 = commit('sample change');
    assert.deepEqual(await affected(head, head2), ['sample']);
  });
});
