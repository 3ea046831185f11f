// The user's workflow through Nx on the workspace's own sample, from the workspace root: the
// generate-before-migrate rule, caching of generate and db-check, and check failing on a change
// no revision holds. The only test file of ours that touches apps/sample; it restores every file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { upgrade } from '../src/commands/upgrade';
import { createTestDatabase, nx, SAMPLE, WORKSPACE, type TestDatabase } from './support';

function files(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe('the workflow through nx on apps/sample, from the workspace root', () => {
  const moduleDir = join(SAMPLE, 'backend/src/modules/zz_probe');
  const generatedDir = join(SAMPLE, 'backend/src/generated');
  const migrationsDir = join(SAMPLE, 'backend/migrations');
  let db: TestDatabase;
  let saved: Map<string, string>;
  let migrationsBefore: string[];
  let env: NodeJS.ProcessEnv;

  before(async () => {
    db = await createTestDatabase('vq_nx_workflow');
    env = { DATABASE_URL: db.url };
    saved = new Map(files(generatedDir).map((f) => [f, readFileSync(join(generatedDir, f), 'utf8')]));
    migrationsBefore = files(migrationsDir);
  });
  after(async () => {
    // Put apps/sample back exactly as it was: other work runs against it.
    rmSync(moduleDir, { recursive: true, force: true });
    for (const f of files(migrationsDir)) if (!migrationsBefore.includes(f)) rmSync(join(migrationsDir, f));
    for (const f of files(generatedDir)) if (!saved.has(f)) rmSync(join(generatedDir, f));
    for (const [f, text] of saved) writeFileSync(join(generatedDir, f), text);
    await db.drop();
  });

  test('nx run sample:db-check (and the generate it runs first) pass on the sample, and an unchanged project is a cache hit for both', async () => {
    const first = await nx(['run', 'sample:db-check'], { env });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /No differences: the \d+ revisions in apps\/sample\/backend\/migrations hold every entity change\./);
    // Other work edits this shared tree (and the plugin, an input of every project) while
    // tests run; a hit within three runs shows the target is cached on unchanged files.
    let hit = '';
    for (let attempt = 0; attempt < 3 && !hit; attempt++) {
      const again = await nx(['run', 'sample:db-check'], { env });
      assert.equal(again.code, 0, again.stdout + again.stderr);
      if (/read the output from the cache instead of running the command for 2 out of 2 tasks/.test(again.stdout)) hit = again.stdout;
    }
    assert.match(hit, /nx run sample:generate  \[local cache\]/);
    assert.match(hit, /Generated files are up to date: 2 entities \(Order, Product\)/);
    assert.match(hit, /No differences/);
  });

  test('a new module with a new entity, generate not run by hand: generate runs first and the table is in the migration; check passes, then fails on the next change', async () => {
    // The database at head first (in-process: the nx runs below are what this test is about).
    process.env.DATABASE_URL = db.url;
    await upgrade({ projectRoot: SAMPLE, cwd: WORKSPACE });

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
    const migrated = await nx(['run', 'sample:db-migrate', '-m', 'create probe table'], { env });
    const out = migrated.stdout + migrated.stderr;
    assert.equal(migrated.code, 0, out);
    assert.ok(out.indexOf('nx run sample:generate') !== -1 && out.indexOf('nx run sample:generate') < out.indexOf('nx run sample:db-migrate'), out);
    assert.match(out, /Detected added table probe/);
    const [created] = files(migrationsDir).filter((f) => f.endsWith('.ts') && !migrationsBefore.includes(f)); // migrate also writes head.txt
    assert.match(created, /^[0-9a-z]{8}_create_probe_table\.ts$/);
    assert.match(out, new RegExp(`Generated apps/sample/backend/migrations/${created} \\(1 table added\\)`));
    assert.match(readFileSync(join(migrationsDir, created), 'utf8'), /create table "probe" \("id" serial primary key, "label" varchar\(255\) not null\)/);

    // Applying migrations changes no file: no snapshot, no generated file (git status stays as it was).
    const status = () => execFileSync('git', ['status', '--porcelain', '--', 'apps/sample'], { cwd: WORKSPACE, encoding: 'utf8' });
    const statusBefore = status();
    const applied = await nx(['run', 'sample:db-upgrade'], { env });
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.equal(status(), statusBefore);
    assert.ok((await db.tables()).includes('probe'));

    const checked = await nx(['run', 'sample:db-check', '--skip-nx-cache'], { env });
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
    assert.match(checked.stdout, /No differences/);

    writeFileSync(join(moduleDir, 'models.ts'), probe.replace('label: p.string(),', 'label: p.string(),\n    note: p.text().nullable(),'));
    const failed = await nx(['run', 'sample:db-check', '--skip-nx-cache'], { env });
    assert.notEqual(failed.code, 0);
    assert.match(failed.stdout + failed.stderr, /The entities have changes that no revision in apps\/sample\/backend\/migrations holds: added column probe\.note\./);
  });
});
