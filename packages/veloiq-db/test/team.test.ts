// Two feature branches each add a revision from the same head: caught in git (migrations/head.txt
// conflicts) and by db-check (two heads), before anything runs on a database; `veloiq db merge`
// joins them. In a throwaway clone of this repository, through real git and real Nx.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { HEAD_FILE, readHeadFile, writeHeadFile } from '../src/core/head-file';
import { renderRevision } from '../src/core/revision-file';
import { buildGraph } from '../src/core/revision-graph';
import { listRevisions } from '../src/core/revisions';
import { cloneWorkspace, createTestDatabase, nx, veloiq, type TestDatabase, type WorkspaceClone } from './support';

const MIGRATIONS = 'apps/billing/backend/migrations';

describe('two branches that each add a revision, merged in git', () => {
  let workspace: WorkspaceClone | undefined;
  let clone: string;
  let base: string;
  let db: TestDatabase | undefined;
  const dir = () => join(clone, MIGRATIONS);
  const git = (...args: string[]) => workspace!.git(...args);
  const commit = (message: string) => {
    git('add', '-A');
    git('commit', '-q', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  /** What `veloiq db migrate` writes on a branch: a revision whose parent is the head, and head.txt. */
  const addRevision = (id: string, message: string) => {
    const head = buildGraph(listRevisions(dir())).heads.map((r) => r.id);
    // A data-only revision: the entities stay as they are, so db-check's schema comparison passes.
    writeFileSync(join(dir(), `${id}_${message.replace(/ /g, '_')}.ts`), renderRevision({ id, message, up: ['select 1'], down: ['select 1'], parents: head }));
    writeHeadFile(dir(), [id]);
  };

  /** Each branch adds a revision from `base`; feature-b is merged into feature-a. */
  const mergeTheBranches = () => {
    git('checkout', '-q', '-B', 'feature-a', base);
    addRevision('mz00000a', 'backfill customer names');
    commit('feature a');
    git('checkout', '-q', '-B', 'feature-b', base);
    addRevision('mz00000b', 'backfill invoice totals');
    commit('feature b');
    git('checkout', '-q', 'feature-a');
    const merged = spawnSync('git', ['merge', '--no-edit', 'feature-b'], { cwd: clone, encoding: 'utf8' });
    return { status: merged.status, conflicts: git('diff', '--name-only', '--diff-filter=U') };
  };
  /** The usual resolution: keep one side; both revision files are there. */
  const keepOurHeadFile = () => {
    git('checkout', '--ours', `${MIGRATIONS}/${HEAD_FILE}`);
    commit('merge feature-b');
  };
  /** `veloiq db merge` on the merged branches, committed. */
  const joinTheHeads = async () => {
    const merge = await veloiq(['db', 'merge', '-m', 'merge heads', '--json'], { cwd: join(clone, 'apps/billing') });
    assert.equal(merge.code, 0, merge.stdout + merge.stderr);
    const { revision } = JSON.parse(merge.stdout) as { revision: { id: string; path: string; parents: string[] } };
    return { revision, head: commit('merge the heads') };
  };

  before(() => {
    workspace = cloneWorkspace();
    clone = workspace.root;
    // The team starts tracking the head (the next migrate would write the file too).
    writeHeadFile(
      dir(),
      buildGraph(listRevisions(dir())).heads.map((r) => r.id),
    );
    base = commit('billing: track the head revision');
  });
  beforeEach(async () => {
    // Each test tells its own story from `base`: an earlier test's branches, merges and files go.
    git('reset', '-q', '--hard', base);
    git('clean', '-q', '-f', '-d');
    db = await createTestDatabase('vq_team');
  });
  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });
  after(() => workspace?.remove());

  test('the second branch merged in conflicts in head.txt', () => {
    const merged = mergeTheBranches();
    assert.notEqual(merged.status, 0, 'git stops the merge');
    assert.equal(merged.conflicts, `${MIGRATIONS}/${HEAD_FILE}`, 'head.txt is the one conflict');
    keepOurHeadFile();
    assert.deepEqual(readHeadFile(dir()), ['mz00000a']);
  });

  test('db-check fails naming the two heads and veloiq db merge', async () => {
    mergeTheBranches();
    keepOurHeadFile();
    const run = await nx(['run', 'billing:db-check', '--skip-nx-cache'], { cwd: clone, env: { DATABASE_URL: db!.url } });
    assert.notEqual(run.code, 0);
    assert.match(
      run.stdout + run.stderr,
      /The revisions in \S+ have 2 heads \(mz00000a, mz00000b\): two branches each added a revision\. Join them: veloiq db merge -m "merge heads"/,
    );
  });

  test('veloiq db merge joins them; db-check passes; nx affected picks billing', async () => {
    mergeTheBranches();
    keepOurHeadFile();
    const { revision, head } = await joinTheHeads();
    assert.deepEqual(revision.parents, ['mz00000a', 'mz00000b']);
    assert.deepEqual(readHeadFile(dir()), [revision.id]);
    assert.match(readFileSync(join(dir(), basename(revision.path)), 'utf8'), / \* Parent: mz00000a, mz00000b\n/);

    const check = await nx(['run', 'billing:db-check', '--skip-nx-cache'], { cwd: clone, env: { DATABASE_URL: db!.url } });
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const affected = await nx(['show', 'projects', '--affected', `--base=${base}`, `--head=${head}`, '--with-target', 'db-check', '--json'], { cwd: clone });
    assert.equal(affected.code, 0, affected.stderr);
    assert.deepEqual(JSON.parse(affected.stdout), ['billing']);
  });

  test('heads, branches and show through veloiq and nx run, with --json', async () => {
    mergeTheBranches();
    keepOurHeadFile();
    await joinTheHeads();
    const heads = await veloiq(['db', 'heads', '--json'], { cwd: join(clone, 'apps/billing') });
    assert.equal(heads.code, 0, heads.stderr);
    const [only] = JSON.parse(heads.stdout).heads;
    assert.deepEqual(only.parents, ['mz00000a', 'mz00000b']);
    const branches = await veloiq(['db', 'branches', '--json'], { cwd: join(clone, 'apps/billing') });
    assert.equal(branches.code, 0, branches.stderr);
    assert.deepEqual(
      JSON.parse(branches.stdout).branchpoints[0].children.map((c: { id: string }) => c.id),
      ['mz00000a', 'mz00000b'],
    );
    const shown = await nx(['run', 'billing:db-show', 'mz00000a'], { cwd: clone });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /Rev: mz00000a\nParent: \w{8}\nPath: /);
  });
});
