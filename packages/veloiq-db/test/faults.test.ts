// Faults an outside tester provokes: another local user's files in the places the tool reads
// (the embedded server's folder and start lock, remembered config facts, tsx's cache in the
// shared temp folder), a command run by a user who may not write the project, and hostile
// messages. Real processes, real PostgreSQL; another user is played by uid 65534 (nobody), so
// these tests need root, as the project's machines and CI run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { headerLine, renderRevision, writeRevisionFile } from '../src/core/revision-file';
import { buildGraph } from '../src/core/revision-graph';
import { isConnectionLost } from '../src/core/errors';
import { startEmbedded, type EmbeddedServer } from '../src/core/embedded';
import { Client } from 'pg';
import { engineArgs, runEngine } from './safety-fixtures';
import { adminQuery, copySample, createTestDatabase, missingSystemPg, run, WORKSPACE, type RunResult, type TestDatabase, type TestProject } from './support';

const NOBODY = 65534;
const notRoot = process.getuid?.() !== 0 && 'plays another user (uid 65534): needs root';
/** The embedded server, whatever the environment says. */
const EMBEDDED = { DATABASE_URL: '' };

/** One line, no stack trace, naming the fix. */
function assertOneLine(result: RunResult, expect: RegExp): void {
  assert.equal(result.code, 1, `exit code; output:\n${result.stdout}\n${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
  assert.match(lines[0], expect);
}

/** A TCP server that accepts and never answers: a planted port leads nowhere useful. */
async function silentServer(): Promise<{ server: Server; port: number }> {
  const server = createServer(() => undefined).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

describe("the embedded server's folder and lock, when another user made them", () => {
  let project: TestProject;
  let state: string;

  before(() => {
    project = copySample();
    state = join(project.backend, '.veloiq');
  });
  after(() => project?.remove());

  test('a user who may not write the project: one line naming the fix, no stack trace', { skip: notRoot }, async () => {
    mkdirSync(state, { recursive: true, mode: 0o755 });
    try {
      const result = await run(process.execPath, engineArgs('current', project.root), {
        cwd: project.root,
        env: { ...EMBEDDED, HOME: '/nonexistent' },
        uid: NOBODY,
      });
      assertOneLine(
        result,
        /^Cannot use the embedded PostgreSQL in .*: this user cannot write .*postgres\.lock \(permission denied\)\. Run the command as the user who owns the project, or set DATABASE_URL/,
      );
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  test('a data folder planted by another user is not used: its postmaster.pid is neither signalled nor connected to', { skip: notRoot }, async () => {
    const dataDir = join(state, 'postgres');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // What the planted file names: a live process of ours (a stop would signal it) and a port of theirs.
    const victim = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const { server, port } = await silentServer();
    try {
      writeFileSync(join(dataDir, 'postmaster.pid'), `${victim.pid}\n${dataDir}\n0\n${port}\n`);
      chownSync(dataDir, NOBODY, NOBODY);
      const result = await runEngine('current', project.root, {}, EMBEDDED);
      assertOneLine(
        result,
        /^The embedded PostgreSQL data folder .*postgres belongs to user nobody, not .* so it is not used\. Run the command as the user who set the project up/,
      );
      assert.equal(victim.exitCode, null, 'the process the planted file names was not signalled');
    } finally {
      victim.kill('SIGKILL');
      server.close();
      rmSync(state, { recursive: true, force: true });
    }
  });

  test("a start lock of another user's: refused at once, not waited on for two minutes", { skip: notRoot }, async () => {
    mkdirSync(state, { recursive: true });
    const lock = join(state, 'postgres.lock');
    // Names a live process (this one): as if that user's command were starting the server.
    writeFileSync(lock, String(process.pid));
    chownSync(lock, NOBODY, NOBODY);
    try {
      const result = await runEngine('current', project.root, {}, EMBEDDED);
      assertOneLine(
        result,
        /^The embedded PostgreSQL's start lock .*postgres\.lock belongs to user nobody, so this user can neither wait for it nor take it over\./,
      );
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });
});

describe('remembered config facts another user could have written', async () => {
  const skip = await missingSystemPg();
  let project: TestProject;
  let db: TestDatabase;

  before(async () => {
    if (skip) return;
    project = copySample();
    db = await createTestDatabase('vq_faults');
  });
  after(async () => {
    await db?.drop();
    project?.remove();
  });

  test('a facts file others may write is ignored: the config is loaded, the real server read', { skip }, async () => {
    const env = { DATABASE_URL: db.url };
    // Twice: the first run's facts name the transform cache tsx is still writing; the second's hold.
    for (let i = 0; i < 2; i++) {
      const warm = await runEngine('current', project.root, {}, env);
      assert.equal(warm.code, 0, warm.stderr);
    }
    const file = join(project.backend, '.veloiq', 'config-facts.json');
    // The same entry (so it still holds here and now), pointed at a server of the planter's choosing.
    const entries = JSON.parse(readFileSync(file, 'utf8'));
    assert.ok(entries.length > 0, 'the first run remembered its config');
    for (const entry of entries) entry.config.clientUrl = 'postgresql://planted@127.0.0.1:1/planted';
    writeFileSync(file, JSON.stringify(entries));
    chmodSync(file, 0o666);
    if (process.getuid?.() === 0) chownSync(file, NOBODY, NOBODY);
    const next = await runEngine('current', project.root, {}, env);
    assert.equal(next.code, 0, next.stderr);
    assert.doesNotMatch(next.stdout + next.stderr, /planted|127\.0\.0\.1:1\b/);
    assert.match(next.stdout, /No revision applied \(base\)/);
  });
});

test("tsx's cache folder in the shared temp folder, made first by another user: not used", async () => {
  const temp = mkdtempSync(join(tmpdir(), 'veloiq-faults-tmp-'));
  chmodSync(temp, 0o755);
  // tsx's folder for this user, made before this user's first run, open to everyone.
  const planted = join(temp, `tsx-${process.geteuid?.()}`);
  mkdirSync(planted);
  chmodSync(planted, 0o777);
  if (process.getuid?.() === 0) chownSync(planted, NOBODY, NOBODY);
  try {
    const result = await run(join(WORKSPACE, 'packages/veloiq-db/bin/veloiq'), ['db', 'frobnicate'], {
      cwd: WORKSPACE,
      env: { TMPDIR: temp, TSX_DISABLE_CACHE: '' },
    });
    assert.match(result.stderr, /^Unknown command 'veloiq db frobnicate'\./, 'the command ran (and compiled its sources)');
    assert.deepEqual(readdirSync(planted), [], 'nothing was cached in (or read from) the planted folder');
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
});

describe('hostile messages and leftovers of killed runs', () => {
  test('control characters of a message (NUL, a terminal escape) never reach the revision file', () => {
    const message = 'add sku\u0000\u001b[31m red\u0007 */ done';
    assert.equal(headerLine(message), 'add sku [31m red *\\/ done');
    const text = renderRevision({ id: 'mx000001', message, up: [], down: [], parents: [] });
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u007f]/);
  });

  test("a temporary file left by a killed migrate of the same pid does not block the next one's write", () => {
    const dir = mkdtempSync(join(tmpdir(), 'veloiq-faults-write-'));
    try {
      writeFileSync(join(dir, `.veloiq-${process.pid}.tmp`), 'half a revi');
      writeRevisionFile(join(dir, 'mx000001_a.ts'), 'whole\n', dir);
      assert.deepEqual(readdirSync(dir), ['mx000001_a.ts']);
      assert.equal(readFileSync(join(dir, 'mx000001_a.ts'), 'utf8'), 'whole\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('two revision files with one id (a copied file): named as such, not as a cycle', () => {
  const revision = (id: string, name: string, parents: string[]) => ({ id, name, description: name, parents, labels: [] });
  assert.throws(
    () =>
      buildGraph([
        revision('mwwxueww', 'mwwxueww_create_product', []),
        revision('mwwywzue', 'mwwywzue_copy', ['mwwxueww']),
        revision('mwwywzue', 'mwwywzue_orders', ['mwwxueww']),
      ]),
    /^UserError: 2 revision files have the id mwwywzue \(mwwywzue_copy, mwwywzue_orders\); an id names one revision\. Delete the copy, or give one of them a new id/,
  );
});

test('a connection lost between the statements of a transaction counts as a lost connection, not as missing rights', () => {
  // What knex throws for the next statement when the connection dropped while its transaction was idle (seen on stamp).
  assert.ok(isConnectionLost(new Error('Transaction query already complete, run with DEBUG=knex:tx for more info')));
  assert.ok(!isConnectionLost(Object.assign(new Error('permission denied for schema public'), { code: '42501' })));
});

test("the embedded server's superuser password is its own, kept for this user alone; a folder from before gets one", async () => {
  const root = mkdtempSync(join(tmpdir(), 'veloiq-faults-pg-'));
  chmodSync(root, 0o755); // the postgres user enters it when tests run as root
  const dataDir = join(root, 'postgres');
  /** Whether a local user who knows only what the source says gets in. */
  const sharedPasswordWorks = async (server: EmbeddedServer) => {
    const client = new Client({ connectionString: server.url('postgres').replace(/:\/\/postgres:[^@]*@/, '://postgres:veloiq-embedded@') });
    try {
      await client.connect();
      return true;
    } catch (error) {
      assert.equal((error as { code?: string }).code, '28P01', String(error));
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  try {
    let server = await startEmbedded(dataDir);
    try {
      assert.equal(await sharedPasswordWorks(server), false, 'the password every copy of this package knows opens nothing');
      assert.equal(statSync(`${dataDir}.password`).mode & 0o777, 0o600);
      // A folder from before: the shared password, no password file.
      await adminQuery(server.url('postgres'), `alter user postgres with password 'veloiq-embedded'`);
    } finally {
      await server.stop();
    }
    rmSync(`${dataDir}.password`);
    server = await startEmbedded(dataDir);
    try {
      assert.deepEqual(await adminQuery(server.url('postgres'), 'select 1 as ok'), [{ ok: 1 }]);
      assert.equal(await sharedPasswordWorks(server), false, 'the old folder got a password of its own');
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
