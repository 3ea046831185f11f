// The user's workflow through Nx on the sample, from the workspace root: the
// generate-before-migrate rule, caching of generate and db-check, and check failing on a change
// no revision holds. On a clone of the workspace, so nothing else changes its files meanwhile.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { runEngine } from './safety-fixtures';
import { cloneWorkspace, createTestDatabase, nx as nxIn, type TestDatabase, type WorkspaceClone } from './support';

function files(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe('the workflow through nx on the sample, from the workspace root', () => {
  let workspace: WorkspaceClone;
  let moduleDir: string;
  let migrationsDir: string;
  let db: TestDatabase;
  let migrationsBefore: string[];
  let env: NodeJS.ProcessEnv;
  // Nx shares one cache between clones of a repository unless told otherwise.
  const nx = (args: string[]) => nxIn(args, { cwd: workspace.root, env: { ...env, NX_CACHE_DIRECTORY: join(workspace.root, '.nx', 'test-cache') } });

  beforeEach(async () => {
    workspace = cloneWorkspace();
    moduleDir = join(workspace.sample, 'backend/src/modules/zz_probe');
    migrationsDir = join(workspace.sample, 'backend/migrations');
    db = await createTestDatabase('vq_nx_workflow');
    env = { DATABASE_URL: db.url };
    migrationsBefore = files(migrationsDir);
  });
  afterEach(async () => {
    await db?.drop();
    workspace?.remove();
  });
  test('nx run sample:db-check (and the generate it runs first) pass on the sample, and an unchanged project is a cache hit for both', async () => {
    const first = await nx(['run', 'sample:db-check']);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /No differences: the \d+ revisions in apps\/sample\/backend\/migrations hold every entity change\./);
    const hit = (await nx(['run', 'sample:db-check'])).stdout;
    assert.match(hit, /read the output from the cache instead of running the command for 2 out of 2 tasks/);
    assert.match(hit, /nx run sample:generate  \[local cache\]/);
    assert.match(hit, /Generated files are up to date: 2 entities \(Order, Product\)/);
    assert.match(hit, /No differences/);
  });

  test('a new module with a new entity, generate not run by hand: generate runs first and the table is in the migration; check passes, then fails on the next change', async () => {
    // The database at head first.
    assert.equal((await runEngine('upgrade', workspace.sample, {}, env)).code, 0);

    mkdirSync(moduleDir);
    const probe = `import { defineEntity, p } from '@mikro-orm/core';

export const Probe = defineEntity({
  name: 'Probe',
  tableName: 'probe',
  properties: {
    id: p.integer().primary().autoincrement(),
    label: p.string(),
  },
});
`;
    writeFileSync(join(moduleDir, 'models.ts'), probe);
    const migrated = await nx(['run', 'sample:db-migrate', '-m', 'create probe table']);
    const out = migrated.stdout + migrated.stderr;
    assert.equal(migrated.code, 0, out);
    assert.ok(out.indexOf('nx run sample:generate') !== -1 && out.indexOf('nx run sample:generate') < out.indexOf('nx run sample:db-migrate'), out);
    assert.match(out, /Detected added table probe/);
    const [created] = files(migrationsDir).filter((f) => f.endsWith('.ts') && !migrationsBefore.includes(f)); // migrate also writes head.txt
    assert.match(created, /^[0-9a-z]{8}_create_probe_table\.ts$/);
    assert.match(out, new RegExp(`Generated apps/sample/backend/migrations/${created} \\(1 table added\\)`));
    assert.match(readFileSync(join(migrationsDir, created), 'utf8'), /create table "probe" \("id" serial primary key, "label" varchar\(255\) not null\)/);

    // Applying migrations changes no file: no snapshot, no generated file (git status stays as it was).
    const status = () => execFileSync('git', ['status', '--porcelain', '--', 'apps/sample'], { cwd: workspace.root, encoding: 'utf8' });
    const statusBefore = status();
    const applied = await nx(['run', 'sample:db-upgrade']);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.equal(status(), statusBefore);
    assert.ok((await db.tables()).includes('probe'));

    const checked = await nx(['run', 'sample:db-check', '--skip-nx-cache']);
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
    assert.match(checked.stdout, /No differences/);

    writeFileSync(join(moduleDir, 'models.ts'), probe.replace('label: p.string(),', 'label: p.string(),\n    note: p.text().nullable(),'));
    const failed = await nx(['run', 'sample:db-check', '--skip-nx-cache']);
    assert.notEqual(failed.code, 0);
    assert.match(
      failed.stdout + failed.stderr,
      /The entities have changes that no revision in apps\/sample\/backend\/migrations holds: added column probe\.note\./,
    );
  });
});
