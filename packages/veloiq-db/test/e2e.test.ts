// The commands as users run them: `nx run` from the workspace root, `npx veloiq` from the
// project and from its backend/, with DATABASE_URL in the environment or in an env file. On a
// clone of the workspace: the repository's own apps/sample is never written.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runEngine } from './safety-fixtures';
import { cloneWorkspace, createTestDatabase, nx as nxIn, veloiq, withoutDatabaseUrl, type TestDatabase, type WorkspaceClone } from './support';

describe('sample app through nx run and veloiq', () => {
  // One clone for the file, which no test changes (each writes only its own env file): every
  // test brings its own database, upgraded through the engine when it starts from head.
  let workspace: WorkspaceClone;
  let SAMPLE: string;
  let BACKEND: string;
  /** `nx` from the clone's root. */
  const nx = (args: string[], options: { env?: NodeJS.ProcessEnv } = {}) =>
    nxIn(args, { cwd: workspace.root, env: { NX_CACHE_DIRECTORY: join(workspace.root, '.nx', 'test-cache'), ...options.env } });
  /** Runs `work` on a fresh database, dropped afterwards. */
  const withDatabase = async (prefix: string, work: (db: TestDatabase) => Promise<void>) => {
    const db = await createTestDatabase(prefix);
    try {
      await work(db);
    } finally {
      await db.drop();
    }
  };
  /**
   * The sample's revisions applied to `db`: the state a test starts from, not what it checks. In
   * a process of its own, as the executors run it: a process loads a project's config (and the
   * DATABASE_URL it reads) once.
   */
  const atHead = async (db: TestDatabase) => {
    const result = await runEngine('upgrade', SAMPLE, {}, { DATABASE_URL: db.url });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await db.tables(), ['mikro_orm_migrations', 'orders', 'product']);
  };
  /** An env file in the clone's backend/ naming `db`. */
  const envFileFor = (name: string, db: TestDatabase) => writeFileSync(join(BACKEND, name), `# written by e2e.test.ts\nDATABASE_URL=${db.url}\n`);

  before(() => {
    workspace = cloneWorkspace();
    SAMPLE = workspace.sample;
    BACKEND = join(SAMPLE, 'backend');
  });
  after(() => workspace?.remove());

  test('nx run sample:db-upgrade from the workspace root creates every sample table', () =>
    withDatabase('vq_e2e', async (db) => {
      const result = await nx(['run', 'sample:db-upgrade'], { env: { DATABASE_URL: db.url } });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /2 revisions applied; now at \w{8} \(head\)/);
      assert.deepEqual(await db.tables(), ['mikro_orm_migrations', 'orders', 'product']);
    }));

  test('npx veloiq db current --json from apps/sample prints only JSON, at head', () =>
    withDatabase('vq_e2e_current', async (db) => {
      await atHead(db);
      const result = await veloiq(['db', 'current', '--json'], { cwd: SAMPLE, env: { DATABASE_URL: db.url }, npx: true });
      assert.equal(result.code, 0, result.stderr);
      const parsed = JSON.parse(result.stdout);
      assert.equal(parsed.head, true);
      assert.equal(parsed.pending, 0);
      assert.equal(parsed.description, 'create orders table');
    }));

  test('npx veloiq db history from apps/sample/backend lists the revisions, newest first', () =>
    withDatabase('vq_e2e_history', async (db) => {
      await atHead(db);
      const result = await veloiq(['db', 'history'], { cwd: BACKEND, env: { DATABASE_URL: db.url } });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /\w{8} -> \w{8} \(head\) \(current\), create orders table\n<base> -> \w{8}, create product table/);
    }));

  test('--env-file is read from where the user runs, then under backend/', () =>
    withDatabase('vq_e2e_file', async (other) => {
      const envName = '.env.e2e-read';
      envFileFor(envName, other);
      // From backend/ the file is right there (--env-file as the user guide spells it).
      const fromBackend = await veloiq(['db', 'upgrade', '--env-file', envName], { cwd: BACKEND, env: withoutDatabaseUrl() });
      assert.equal(fromBackend.code, 0, fromBackend.stderr);
      assert.deepEqual(await other.tables(), ['mikro_orm_migrations', 'orders', 'product']);
      // From the project root the same name is found under backend/.
      const fromRoot = await veloiq(['db', 'history', '--json', '-e', envName], { cwd: SAMPLE, env: withoutDatabaseUrl() });
      assert.equal(fromRoot.code, 0, fromRoot.stderr);
      const entries = JSON.parse(fromRoot.stdout);
      assert.equal(entries.length, 2);
      assert.deepEqual(
        entries.map((e: { applied: boolean }) => e.applied),
        [true, true],
      );
      assert.equal(entries[1].current, true);
      assert.equal(entries[1].head, true);
    }));

  test('a variable already set in the environment wins over the env file', () =>
    withDatabase('vq_e2e_in_file', (inFile) =>
      withDatabase('vq_e2e_env', async (fresh) => {
        const envName = '.env.e2e-wins';
        await atHead(inFile);
        envFileFor(envName, inFile);
        const result = await nx(['run', 'sample:db-current', `--envFile=${envName}`, '--json'], { env: { DATABASE_URL: fresh.url } });
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /"id":null/, 'the empty database from the environment, not the upgraded one in the file');
      }),
    ));

  test('a named env file that does not exist is an error that lists the places looked', () =>
    withDatabase('vq_e2e_missing', async (db) => {
      const result = await nx(['run', 'sample:db-current', '--envFile=.env.missing'], { env: { DATABASE_URL: db.url } });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr + result.stdout, /Env file '\.env\.missing' not found \(looked at \.env\.missing, apps\/sample\/backend\/\.env\.missing\)/);
    }));

  test('veloiq keeps a revision after a flag that takes no value as the revision', async () => {
    const fresh = await createTestDatabase('vq_e2e_flag');
    try {
      const result = await veloiq(['db', 'upgrade', '--transaction-per-migration', '+1'], { cwd: SAMPLE, env: { DATABASE_URL: fresh.url } });
      assert.equal(result.code, 0, result.stderr);
      assert.equal((await fresh.applied()).length, 1, 'exactly one revision, as +1 says');
    } finally {
      await fresh.drop();
    }
  });

  test('-- ends the options, through veloiq and nx run: downgrade -- -1 is the revision -1; a bare trailing -- is no argument (stamp -- stamps head)', async () => {
    const fresh = await createTestDatabase('vq_e2e_dashes');
    const env = { DATABASE_URL: fresh.url };
    try {
      await atHead(fresh);
      const byVeloiq = await veloiq(['db', 'downgrade', '--', '-1'], { cwd: SAMPLE, env });
      assert.equal(byVeloiq.code, 0, byVeloiq.stdout + byVeloiq.stderr);
      assert.match(byVeloiq.stdout, /1 revision reverted; now at \w{8}\./);
      assert.equal((await fresh.applied()).length, 1);
      const byNx = await nx(['run', 'sample:db-downgrade', '--', '-1'], { env });
      assert.equal(byNx.code, 0, byNx.stdout + byNx.stderr);
      assert.match(byNx.stdout, /1 revision reverted; now at base/);
      assert.deepEqual(await fresh.applied(), []);

      const stamped = await veloiq(['db', 'stamp', '--'], { cwd: SAMPLE, env });
      assert.equal(stamped.code, 0, stamped.stdout + stamped.stderr);
      assert.match(stamped.stdout, /Stamped at \w{8} \(head\); no migration SQL was run\./);
      assert.equal((await fresh.applied()).length, 2);
      assert.equal((await runEngine('stamp', SAMPLE, { revision: 'base' }, env)).code, 0);
      const stampedByNx = await nx(['run', 'sample:db-stamp', '--'], { env });
      assert.equal(stampedByNx.code, 0, stampedByNx.stdout + stampedByNx.stderr);
      assert.match(stampedByNx.stdout, /Stamped at \w{8} \(head\)/);
      assert.equal((await fresh.applied()).length, 2);
    } finally {
      await fresh.drop();
    }
  });

  test('an unknown revision through nx is one line, a non-zero exit, and nothing applied', async () => {
    const fresh = await createTestDatabase('vq_e2e_bad');
    try {
      const result = await nx(['run', 'sample:db-upgrade', 'zzzz'], { env: { DATABASE_URL: fresh.url } });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /Unknown revision 'zzzz': no revision id starts with it\. Run 'veloiq db history'/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      assert.deepEqual(await fresh.tables(), []);
    } finally {
      await fresh.drop();
    }
  });
});
