// upgrade, current and history called as the executors call them, against real PostgreSQL.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { current } from '../src/commands/current';
import { history } from '../src/commands/history';
import { upgrade } from '../src/commands/upgrade';
import { toText } from '../src/commands/report';
import { rejectsWith } from './revision-fixtures';
import { copySample, sampleWithDatabase, type TestDatabase, type TestProject } from './support';

const SAMPLE_TABLES = ['mikro_orm_migrations', 'orders', 'product'];

describe('upgrade, current, history on the system PostgreSQL', () => {
  // Each test starts from its own sample copy and empty database, and builds the state it needs.
  let project: TestProject;
  let db: TestDatabase;
  let ids: string[];
  let dispose: () => Promise<void>;
  const options = () => ({ projectRoot: project.root, cwd: project.root, env: { DATABASE_URL: db.url } });

  beforeEach(async () => {
    ({ project, db, dispose } = await sampleWithDatabase('vq_engine'));
    ids = readdirSync(project.migrations)
      .map((f) => f.slice(0, 8))
      .sort();
  });
  afterEach(() => dispose());

  test('an empty database has no revision applied', async () => {
    const result = await current(options());
    assert.equal(result.id, null);
    assert.equal(result.head, false);
    assert.equal(result.pending, ids.length);
    assert.deepEqual(await db.tables(), [], 'reading the position creates nothing');
  });

  test('a revision that matches nothing, or several, is refused and nothing is applied', async () => {
    await rejectsWith(upgrade({ ...options(), revision: 'zzzz' }), /Unknown revision 'zzzz'.*veloiq db history/);
    const shared = ids[0].slice(0, 3);
    assert.ok(
      ids.every((id) => id.startsWith(shared)),
      'sample ids share a prefix',
    );
    await rejectsWith(upgrade({ ...options(), revision: shared }), new RegExp(`Ambiguous revision '${shared}'.*${ids[0]}.*${ids[1]}`));
    assert.deepEqual(await db.tables(), []);
  });

  test('upgrade +1 applies exactly the first revision', async () => {
    const result = await upgrade({ ...options(), revision: '+1' });
    assert.deepEqual(
      result.applied.map((r) => r.id),
      [ids[0]],
    );
    assert.deepEqual(await db.tables(), ['mikro_orm_migrations', 'product']);
    const now = await current(options());
    assert.equal(now.id, ids[0]);
    assert.equal(now.description, 'create product table');
    assert.equal(now.pending, 1);
  });

  test('upgrade to an applied revision has nothing to do, as in Alembic', async () => {
    await upgrade({ ...options(), revision: '+1' });
    const result = await upgrade({ ...options(), revision: ids[0] });
    assert.deepEqual(result.applied, []);
    assert.equal(toText(result), `Nothing to upgrade: ${ids[0]} is already applied (now at ${ids[0]}).`);
  });

  test('upgrade to head applies the rest; history marks current and head', async () => {
    await upgrade({ ...options(), revision: '+1' });
    const result = await upgrade(options());
    assert.deepEqual(
      result.applied.map((r) => r.id),
      [ids[1]],
    );
    assert.equal(result.head, true);
    assert.deepEqual(await db.tables(), SAMPLE_TABLES);
    assert.deepEqual(
      await db.applied(),
      readdirSync(project.migrations)
        .map((f) => f.replace(/\.ts$/, ''))
        .sort(),
    );
    const entries = (await history(options())).revisions;
    assert.deepEqual(
      entries.map((e) => [e.id, e.applied, e.current, e.head]),
      [
        [ids[0], true, false, false],
        [ids[1], true, true, true],
      ],
    );
  });

  test('upgrade at head says so and changes nothing', async () => {
    await upgrade(options());
    const result = await upgrade(options());
    assert.deepEqual(result.applied, []);
    assert.equal(result.current, ids[1]);
    assert.equal((await db.applied()).length, 2);
  });

  test('a failing revision rolls the whole run back and names the revision and the database message', async () => {
    const bad = join(project.migrations, 'zzzzzzzz_broken.ts');
    writeFileSync(
      bad,
      `/**\n * broken revision\n */\nimport { Migration } from '@mikro-orm/migrations';\nexport class Broken extends Migration {\n  override async up(): Promise<void> {\n    this.addSql('create table "tmp_ok" (id int);');\n    this.addSql('alter table "no_such_table" add column "x" int;');\n  }\n}\n`,
    );
    await rejectsWith(upgrade(options()), /Revision zzzzzzzz \(broken revision\) failed to apply: .*no_such_table.*does not exist/);
    assert.deepEqual(await db.tables(), [], 'every revision of the run was rolled back');
  });
});

describe('where the database is', () => {
  test('a server that does not answer fails within about ten seconds, without the password', async () => {
    // A loopback listener that accepts and never speaks: what a firewalled or hung server looks like.
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const project = copySample();
    const env = { DATABASE_URL: `postgresql://app:hunter2secret@127.0.0.1:${port}/sample` };
    const started = Date.now();
    try {
      const message = await rejectsWith(current({ projectRoot: project.root, cwd: project.root, env }), /did not answer|timeout/i);
      assert.ok(Date.now() - started < 12_000, 'the error comes within about ten seconds');
      assert.doesNotMatch(message, /hunter2secret/);
      assert.match(message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    } finally {
      silent.close();
      project.remove();
    }
  });

  test('a project without a MikroORM config says where it looked', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'veloiq-noconfig-'));
    try {
      await rejectsWith(
        current({ projectRoot: empty, cwd: empty }),
        new RegExp(`No MikroORM config found: looked for mikro-orm.config.ts in ${join(empty, 'backend')} and ${empty}`),
      );
    } finally {
      rmSync(empty, { recursive: true });
    }
  });

  test('without DATABASE_URL the embedded PostgreSQL is used, and a second command finds its data', async () => {
    const project = copySample();
    const env = { DATABASE_URL: undefined };
    try {
      const first = await upgrade({ projectRoot: project.root, cwd: project.root, env });
      assert.equal(first.applied.length, 2);
      assert.ok(readdirSync(join(project.backend, '.veloiq', 'postgres')).includes('PG_VERSION'), 'data lives in backend/.veloiq');
      const second = await current({ projectRoot: project.root, cwd: join(project.backend), env });
      assert.equal(second.head, true);
      assert.equal(second.pending, 0);
    } finally {
      project.remove();
    }
  });

  // Run as root, PostgreSQL runs as the system user postgres, which must enter the project's folders.
  test(
    'run as root in a folder closed to others, the embedded PostgreSQL fails with one line naming it',
    { skip: process.getuid?.() !== 0 && 'only as root' },
    async () => {
      const project = copySample();
      chmodSync(project.root, 0o700);
      try {
        await rejectsWith(
          upgrade({ projectRoot: project.root, cwd: project.root, env: { DATABASE_URL: undefined } }),
          new RegExp(
            `^The embedded PostgreSQL cannot start here: .*cannot enter ${project.root} \\(mode 700\\)\\. .*chmod o\\+x ${project.root}.*set DATABASE_URL`,
          ),
        );
        assert.ok(!existsSync(join(project.backend, '.veloiq', 'postgres', 'PG_VERSION')), 'no data folder was made');
      } finally {
        project.remove();
      }
    },
  );
});
