// Caching never lies: `generate` and `db-check` (offline: it replays the revisions on a scratch
// database, so its answer depends on files alone) are cache hits when nothing changed and misses
// when an entity, a revision or the --env-file option changed; `db-upgrade` and `db-status` (it
// reads the live database's record) are never cached.
// Runs real Nx in a throwaway clone of this repository, on apps/billing.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { runEngine } from './safety-fixtures';
import { cloneWorkspace, createTestDatabase, missingSystemPg, nx, type TestDatabase, type WorkspaceClone } from './support';

const BACKEND = 'apps/billing/backend';
const CUSTOMER = `${BACKEND}/src/modules/customers/models.ts`;

const NOOP_REVISION = `/**
 * record a no-op
 *
 * Revision: zzzzzzzz
 * Created: 2026-11-26 04:00:00 UTC
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration_zzzzzzzz extends Migration {
  override async up(): Promise<void> {
    this.addSql('select 1');
  }

  override async down(): Promise<void> {
    this.addSql('select 1');
  }
}
`;

interface Outcome {
  code: number;
  output: string;
  /** Tasks read from the cache, and tasks in the run (from Nx's per-task lines). */
  hits: number;
  tasks: number;
}

/** Nx prints `> nx run p:t` for every task, with `[local cache]` (or similar) after a hit. */
function countTasks(output: string): { hits: number; tasks: number } {
  const lines = output.split('\n').filter((line) => /^> nx run \S+:\S+/.test(line.trim()));
  return { tasks: lines.length, hits: lines.filter((line) => /\[(local|remote) cache\]|existing outputs match the cache/.test(line)).length };
}

describe('Nx caching of the inferred targets, in a clone of the repository', () => {
  let workspace: WorkspaceClone | undefined;
  let clone: string;
  let db: TestDatabase | undefined;
  let skip: string | false;
  /** Each test's own Nx cache folder. */
  let cacheDirectory: string;
  let tests = 0;

  const run = async (args: string[]): Promise<Outcome> => {
    // Nx 23 shares one cache between every clone of a repository (~/.nx/<id>/cache): each test
    // gets its own, so results from the workspace, an earlier run or another test cannot answer.
    const env = { DATABASE_URL: db!.url, NX_CACHE_DIRECTORY: cacheDirectory };
    const result = await nx(['run', ...args], { cwd: clone, env });
    const output = result.stdout + result.stderr;
    const counted = countTasks(output);
    assert.ok(counted.tasks > 0, `Nx listed its tasks:\n${output}`);
    return { code: result.code, output, ...counted };
  };
  const edit = (file: string, change: (text: string) => string) => writeFileSync(join(clone, file), change(readFileSync(join(clone, file), 'utf8')));

  before(async () => {
    skip = await missingSystemPg();
    if (skip) return;
    workspace = cloneWorkspace();
    clone = workspace.root;
  });
  // One clone for the file; each test starts from its committed files, an empty database and
  // an empty cache.
  beforeEach(async () => {
    if (skip) return;
    workspace!.git('checkout', '-q', '--', '.');
    workspace!.git('clean', '-q', '-f', '-d');
    cacheDirectory = join(clone, '.nx', `test-cache-${++tests}`);
    db = await createTestDatabase('vq_cache');
  });
  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });
  after(() => workspace?.remove());

  test('generate: miss, then hit; a new revision leaves it a hit; an entity change is a miss', async (t) => {
    if (skip) return t.skip(skip);
    const first = await run(['billing:generate']);
    assert.equal(first.code, 0, first.output);
    assert.deepEqual([first.hits, first.tasks], [0, 1]);
    const second = await run(['billing:generate']);
    assert.deepEqual([second.hits, second.tasks], [1, 1], 'nothing changed: hit');

    writeFileSync(join(clone, BACKEND, 'migrations/zzzzzzzz_record_a_no_op.ts'), NOOP_REVISION);
    const afterRevision = await run(['billing:generate']);
    assert.deepEqual([afterRevision.hits, afterRevision.tasks], [1, 1], 'generate does not read revisions');
    rmSync(join(clone, BACKEND, 'migrations/zzzzzzzz_record_a_no_op.ts'));

    edit(CUSTOMER, (text) =>
      text.replace('    name: p.string().length(200),\n', '    name: p.string().length(200),\n    phone: p.string().length(40).nullable(),\n'),
    );
    const changed = await run(['billing:generate']);
    assert.equal(changed.code, 0, changed.output);
    assert.deepEqual([changed.hits, changed.tasks], [0, 1], 'entity changed: miss');
    assert.match(readFileSync(join(clone, BACKEND, 'src/generated/types.ts'), 'utf8'), /phone/);
    edit(CUSTOMER, (text) => text.replace('    phone: p.string().length(40).nullable(),\n', ''));
    const back = await run(['billing:generate']);
    assert.deepEqual([back.hits, back.tasks], [1, 1], 'back to the first entities: the first result, from the cache');
    assert.doesNotMatch(readFileSync(join(clone, BACKEND, 'src/generated/types.ts'), 'utf8'), /phone/, 'outputs restored from the cache');
  });

  test('db-check: hit when nothing changed; miss on a new revision, an entity change, or another --env-file', async (t) => {
    if (skip) return t.skip(skip);
    // An env file that is an input from the start, so that later only the --env-file option changes.
    writeFileSync(join(clone, BACKEND, '.env.ci'), 'VELOIQ_CACHE_TEST=1\n');
    const generated = await run(['billing:generate']);
    assert.equal(generated.code, 0, generated.output);
    const first = await run(['billing:db-check']);
    assert.equal(first.code, 0, first.output);
    assert.equal(first.tasks, 2, 'generate runs first');
    assert.equal(first.hits, 1, 'generate from the cache, the check itself ran');
    const again = await run(['billing:db-check']);
    assert.deepEqual([again.hits, again.tasks], [2, 2], 'nothing changed: hit');
    assert.match(again.output, /No differences/, 'the cached output is the real one');

    // A revision (one that changes no column, so the check still passes).
    writeFileSync(join(clone, BACKEND, 'migrations/zzzzzzzz_record_a_no_op.ts'), NOOP_REVISION);
    const withRevision = await run(['billing:db-check']);
    assert.equal(withRevision.code, 0, withRevision.output);
    assert.deepEqual([withRevision.hits, withRevision.tasks], [1, 2], 'new revision: check misses (generate still hits)');
    assert.match(withRevision.output, /3 revisions/);
    const withRevisionAgain = await run(['billing:db-check']);
    assert.deepEqual([withRevisionAgain.hits, withRevisionAgain.tasks], [2, 2]);

    // --env-file: the same files as the hit just above, only the option differs.
    // `--envFile`: Node 20 itself swallows a literal `--env-file` anywhere on nx's command line
    // (nodejs/node#54232); `veloiq db check --env-file` passes it through safely.
    const withOption = await run(['billing:db-check', '--envFile=.env.ci']);
    assert.equal(withOption.code, 0, withOption.output);
    assert.ok(withOption.hits < withOption.tasks, 'another --env-file: the check runs');
    const withOptionAgain = await run(['billing:db-check', '--envFile=.env.ci']);
    assert.equal(withOptionAgain.hits, withOptionAgain.tasks, 'same --env-file again: hit');

    // An entity change that no revision holds: a miss, and the check fails naming it.
    edit(CUSTOMER, (text) =>
      text.replace('    name: p.string().length(200),\n', '    name: p.string().length(200),\n    vatNumber: p.string().length(20).nullable(),\n'),
    );
    const changed = await run(['billing:db-check']);
    assert.notEqual(changed.code, 0, 'a missing revision fails the check');
    assert.equal(changed.hits, 0, 'entity changed: generate and check both miss');
    assert.match(changed.output, /vat_number|vatNumber/);
  });

  test('db-upgrade is never cached: twice runs twice', async (t) => {
    if (skip) return t.skip(skip);
    const first = await run(['billing:db-upgrade']);
    assert.equal(first.code, 0, first.output);
    assert.deepEqual([first.hits, first.tasks], [0, 1]);
    assert.match(first.output, /Applied/);
    const second = await run(['billing:db-upgrade']);
    assert.equal(second.code, 0, second.output);
    assert.deepEqual([second.hits, second.tasks], [0, 1], 'ran again');
    assert.doesNotMatch(second.output, /Applied/);
    assert.match(second.output, /head/i, 'the second run reports its own result: already at head');
  });

  test('db-status is never cached: a record changed between two runs with the same files and URL is seen', async (t) => {
    if (skip) return t.skip(skip);
    assert.equal((await runEngine('upgrade', join(clone, 'apps/billing'), {}, { DATABASE_URL: db!.url })).code, 0);
    const first = await run(['billing:db-status']);
    assert.equal(first.code, 0, first.output);
    assert.deepEqual([first.hits, first.tasks], [0, 1]);
    await db!.query(`insert into mikro_orm_migrations (name) values ('zz_typed_by_hand')`);
    const second = await run(['billing:db-status']);
    assert.notEqual(second.code, 0, 'drift fails');
    assert.deepEqual([second.hits, second.tasks], [0, 1], 'ran again');
    assert.match(second.output, /zz_typed_by_hand is recorded as applied but no revision file has that name/);
  });
});
