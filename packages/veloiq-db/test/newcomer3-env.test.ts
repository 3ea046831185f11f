// Env files in an Nx workspace: the project's `.env` (under backend/, or at the project root) is
// read first and the workspace's `.env` (beside nx.json) after it, so a variable the project sets
// wins and one only the workspace sets still counts, wherever the command runs from. Passwords
// from either file never show in a message.
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { current } from '../src/commands/current';
import { downgrade } from '../src/commands/downgrade';
import { upgrade } from '../src/commands/upgrade';
import { loadEnvFile } from '../src/core/env';
import { UserError } from '../src/core/errors';
import { copyWorkspace, createTestDatabase, nx, SAMPLE, WORKSPACE, type TestDatabase } from './support';

describe('the workspace .env after the project .env', () => {
  let workspace: string;
  let project: string;
  let workspaceDb: TestDatabase;
  let projectDb: TestDatabase;
  /** DATABASE_URL unset for the command (restored afterwards), so only the env files set it. */
  const from = (cwd: string) => ({ projectRoot: project, cwd, env: { DATABASE_URL: undefined } });
  const envFiles = ['.env', 'apps/sample/.env', 'apps/sample/backend/.env', 'apps/sample/backend/.env.production'];

  before(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'veloiq-envws-'));
    chmodSync(workspace, 0o755);
    writeFileSync(join(workspace, 'nx.json'), '{}\n');
    cpSync(join(WORKSPACE, 'tsconfig.base.json'), join(workspace, 'tsconfig.base.json'));
    symlinkSync(join(WORKSPACE, 'node_modules'), join(workspace, 'node_modules'), 'dir');
    project = join(workspace, 'apps/sample');
    cpSync(SAMPLE, project, { recursive: true, filter: (src) => !src.includes('/.veloiq') && !src.endsWith('/.env') });
    // One process runs every command here, and Node loads the config module once: exported as a
    // function (a form MikroORM accepts), it reads DATABASE_URL on each command, as a new
    // `veloiq db` process would.
    const config = join(project, 'backend/mikro-orm.config.ts');
    const text = readFileSync(config, 'utf8');
    assert.match(text, /export default defineConfig\(\{/);
    writeFileSync(config, text.replace('export default defineConfig({', 'export default () =>\n  defineConfig({').replace(/\}\);\s*$/, '});\n'));
    workspaceDb = await createTestDatabase('vq_nc3_envws');
    projectDb = await createTestDatabase('vq_nc3_envpr');
  });
  after(async () => {
    await workspaceDb.drop();
    await projectDb.drop();
    rmSync(workspace, { recursive: true, force: true });
  });
  beforeEach(() => {
    for (const file of envFiles) rmSync(join(workspace, file), { force: true });
  });

  test("only the workspace has a .env: it is read, from the workspace root and from the project's backend/", async () => {
    writeFileSync(join(workspace, '.env'), `DATABASE_URL=${workspaceDb.url}\n`);
    await upgrade(from(workspace));
    assert.ok((await workspaceDb.tables()).includes('product'));
    assert.deepEqual(await projectDb.tables(), []);
    assert.equal((await current(from(join(project, 'backend')))).head, true);
  });

  test("both have one: the project's DATABASE_URL wins, whether the command runs from the workspace root or the project", async () => {
    writeFileSync(join(workspace, '.env'), `DATABASE_URL=${workspaceDb.url}\n`);
    writeFileSync(join(project, 'backend/.env'), `# the project's own server\nDATABASE_URL=${projectDb.url}\n`);
    const all = await workspaceDb.applied();
    assert.ok(all.length > 0);
    for (const cwd of [workspace, project, join(project, 'backend')]) {
      await upgrade(from(cwd));
      assert.deepEqual(await projectDb.applied(), all, `upgrade from ${cwd}`);
      await downgrade({ ...from(cwd), revision: 'base' });
      assert.deepEqual(await projectDb.applied(), [], `downgrade from ${cwd}`);
      assert.deepEqual(await workspaceDb.applied(), all, `the workspace's database is untouched (from ${cwd})`);
    }
    // A .env at the project root (no backend/.env) is the project's too.
    const rootDb = await createTestDatabase('vq_nc3_envroot');
    try {
      rmSync(join(project, 'backend/.env'));
      writeFileSync(join(project, '.env'), `DATABASE_URL=${rootDb.url}\n`);
      await upgrade(from(workspace));
      assert.ok((await rootDb.tables()).includes('product'));
    } finally {
      await rootDb.drop();
    }
  });

  test('a variable only the workspace sets fills what the project leaves unset; a password in either is never printed', async () => {
    // The project's file sets something else; the URL comes from the workspace's, password and all.
    writeFileSync(join(project, 'backend/.env'), 'APP_NAME=sample\n');
    writeFileSync(join(workspace, '.env'), 'DATABASE_URL=postgresql://postgres:Ws-Secret-Pw@127.0.0.1:1/nowhere\n');
    const error = await upgrade(from(workspace)).then(
      () => assert.fail('expected no connection on port 1'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof UserError, String(error));
    assert.match(error.message, /127\.0\.0\.1:1|ECONNREFUSED|connect/);
    assert.doesNotMatch(error.message, /Ws-Secret-Pw/);
  });

  test('a file named with --env-file is the whole environment: the workspace .env is not mixed in', () => {
    writeFileSync(join(workspace, '.env'), `DATABASE_URL=${workspaceDb.url}\n`);
    writeFileSync(join(project, 'backend/.env.production'), `DATABASE_URL=${projectDb.url}\n`);
    const options = { cwd: workspace, backendDir: join(project, 'backend'), projectRoot: project };
    assert.deepEqual(loadEnvFile({ ...options, envFile: '.env.production' }), [join(project, 'backend/.env.production')]);
    assert.deepEqual(loadEnvFile(options), [join(workspace, '.env')]);
    writeFileSync(join(project, 'backend/.env'), 'APP_NAME=sample\n');
    assert.deepEqual(loadEnvFile(options), [join(project, 'backend/.env'), join(workspace, '.env')]);
  });
});

describe('through nx run, which loads the workspace .env into the task itself', () => {
  let copy: { root: string; remove(): void };
  let workspaceDb: TestDatabase;
  let projectDb: TestDatabase;

  before(async () => {
    copy = copyWorkspace('veloiq-nc3-envnx-');
    workspaceDb = await createTestDatabase('vq_nc3_envnxws');
    projectDb = await createTestDatabase('vq_nc3_envnxpr');
  });
  after(async () => {
    await workspaceDb.drop();
    await projectDb.drop();
    copy.remove();
  });

  test("the project's backend/.env still wins, and neither password is printed", async () => {
    // Trust authentication ignores the passwords; they are there to be hidden.
    const withPassword = (db: TestDatabase, password: string) => db.url.replace('postgres@', `postgres:${password}@`);
    writeFileSync(join(copy.root, '.env'), `DATABASE_URL=${withPassword(workspaceDb, 'Ws-Secret-Pw')}\n`);
    writeFileSync(join(copy.root, 'apps/sample/backend/.env'), `DATABASE_URL=${withPassword(projectDb, 'Pr-Secret-Pw')}\n`);
    const result = await nx(['run', 'sample:db-upgrade'], { cwd: copy.root, env: { DATABASE_URL: undefined } });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.ok((await projectDb.tables()).includes('product'));
    assert.deepEqual(await workspaceDb.tables(), []);
    assert.doesNotMatch(result.stdout + result.stderr, /Ws-Secret-Pw|Pr-Secret-Pw/);
  });
});
