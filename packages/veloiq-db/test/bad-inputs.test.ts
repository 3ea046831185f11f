// A table of bad inputs. Each row: what the user did, the message they must see (one line, no
// stack), the exit code, and proof that neither the database nor the project's files changed.
// Engine rows run test/run-command.ts as a process (the executors' path without Nx's startup);
// CLI rows run `veloiq` / `nx run` in apps/sample against a test database.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync, appendFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Client } from 'pg';
import { startEmbedded, type EmbeddedServer } from '../src/core/embedded';
import { lockKey } from '../src/core/lock';
import { runEngine, snapshotDatabase, snapshotFiles, writeRevision } from './safety-fixtures';
import {
  SAMPLE,
  SYSTEM_PG,
  WORKSPACE,
  adminQuery,
  copySample,
  createTestDatabase,
  missingSystemPg,
  nx,
  run,
  veloiq,
  type RunResult,
  type TestDatabase,
  type TestProject,
} from './support';

interface Ctx {
  project: TestProject;
  db: TestDatabase;
  /** A folder for env files, outside the project. */
  dir: string;
  /** The sample's revision names, oldest first. */
  names: string[];
  /** Things to undo after the row (roles, held locks). */
  cleanup: (() => Promise<unknown>)[];
}

interface Row {
  name: string;
  /** Brings the database or the files into the state the row starts from. */
  setup?: (c: Ctx) => Promise<unknown> | unknown;
  /** An engine command and its options... */
  command?: string;
  options?: (c: Ctx) => object;
  env?: (c: Ctx) => NodeJS.ProcessEnv;
  /** ...or a run of its own (veloiq, nx). */
  run?: (c: Ctx) => Promise<RunResult>;
  /** The message, on stderr (or wherever `where` says). */
  expect: RegExp;
  code?: number;
  where?: 'stderr' | 'output';
  /** Text that must appear nowhere in the output (a password). */
  hidden?: string[];
  /** Needs the embedded server, which checks passwords (the system one trusts every login). */
  needsPasswordServer?: boolean;
}

let server: EmbeddedServer | undefined;
const TABLE_SQL = 'create table mikro_orm_migrations (id serial primary key, name varchar(255), executed_at timestamptz default current_timestamp)';

/** The state an `upgrade` to head leaves. */
const upgraded = async (c: Ctx) => {
  const result = await runEngine('upgrade', c.project.root, {}, { DATABASE_URL: c.db.url });
  assert.equal(result.code, 0, result.stderr);
};
const envFile = (c: Ctx, name: string, text: string) => {
  writeFileSync(join(c.dir, name), text);
  return join(c.dir, name);
};
const extra = (c: Ctx, id: string, slug: string, body: string, down = '') =>
  writeRevision(c.project.migrations, id, slug, [], { body, down: down ? [down] : [] });
/** An extra revision applied, then its file deleted: the record names a file that is gone. */
const appliedThenRemoved = async (c: Ctx) => {
  extra(c, 'mx000001', 'removed_later', "    this.addSql('select 1');");
  await upgraded(c);
  rmSync(join(c.project.migrations, 'mx000001_removed_later.ts'));
};
const cli = (args: string[]) => (c: Ctx) => veloiq(args, { cwd: SAMPLE, env: { DATABASE_URL: c.db.url } });

const ROWS: Row[] = [
  // --- the command line ---
  { name: 'an unknown subcommand', run: cli(['db', 'frobnicate']), expect: /^Unknown command 'veloiq db frobnicate'\./, code: 2 },
  { name: '--env-file without its value', run: cli(['db', 'upgrade', '--env-file']), expect: /^--env-file needs a value\./, code: 2 },
  { name: 'migrate without -m', run: cli(['db', 'migrate']), expect: /A message is required: veloiq db migrate -m "describe the change"/, where: 'output' },
  {
    name: 'downgrade without a revision',
    run: cli(['db', 'downgrade']),
    expect: /downgrade needs a revision: -1 \(one step back\), a revision id, or base/,
    where: 'output',
  },
  {
    name: 'a --lock-timeout that is not a number, through nx',
    run: (c) => nx(['run', 'sample:db-upgrade', '--lockTimeout=soon'], { env: { DATABASE_URL: c.db.url } }),
    expect: /Property 'lockTimeout' does not match the schema\. 'soon' should be a 'number'/,
    where: 'output',
  },
  { name: 'a misspelt flag', run: cli(['db', 'current', '--jsno']), expect: /'jsno' is not found in schema/, where: 'output' },
  {
    name: 'upgrade --sq (meant --sql: it would have run the migrations)',
    run: cli(['db', 'upgrade', '--sq']),
    expect: /Unknown option '--sq' for veloiq db upgrade\. Its options: --revision, --sql, --env-file, --json, --transaction-per-migration, --lock-timeout\./,
    where: 'output',
  },
  {
    name: 'downgrade with a misspelt --transaction-per-migration',
    setup: async (c) => upgraded(c),
    run: cli(['db', 'downgrade', '-1', '--transaction-per-migratoin']),
    expect: /Unknown option '--transaction-per-migratoin' for veloiq db downgrade/,
    where: 'output',
  },
  {
    name: 'a flag the command does not take',
    run: cli(['db', 'history', '--transaction-per-migration']),
    expect: /'transaction-per-migration' is not found in schema/,
    where: 'output',
  },
  {
    name: 'two revisions where upgrade takes one',
    run: cli(['db', 'upgrade', 'head', '+1']),
    expect: /veloiq db upgrade takes one revision, and got 2 words: 'head', '\+1'\. Give one\./,
    where: 'output',
  },
  {
    name: 'a revision given to a command that takes none',
    run: cli(['db', 'current', 'zzz']),
    expect: /Schema does not support positional arguments\. Argument 'zzz' found/,
    where: 'output',
  },
  {
    name: 'a negative --lock-timeout',
    command: 'upgrade',
    options: () => ({ lockTimeout: -1 }),
    expect: /^Invalid --lock-timeout '-1': give the seconds to wait/,
  },
  {
    name: 'upgrade --sql with a range that goes backwards',
    command: 'upgrade',
    options: (c) => ({ sql: true, revision: `${c.names[1].slice(0, 8)}:${c.names[0].slice(0, 8)}` }),
    expect: /is not after the script's starting point/,
  },

  // --- revision specs ---
  {
    name: 'an unknown revision',
    command: 'upgrade',
    options: () => ({ revision: 'zzzz' }),
    expect: /^Unknown revision 'zzzz': no revision id starts with it\. Run 'veloiq db history'/,
  },
  {
    name: 'an ambiguous prefix',
    command: 'upgrade',
    options: () => ({ revision: 'mw' }),
    expect: /^Ambiguous revision 'mw': it starts \d ids .*Type more of the id\./,
  },
  {
    name: 'a relative step of zero',
    command: 'upgrade',
    options: () => ({ revision: '+0' }),
    expect: /^Invalid revision '\+0': a relative step must not be zero/,
  },
  {
    name: 'more steps forward than pending',
    command: 'upgrade',
    options: () => ({ revision: '+99' }),
    expect: /^Cannot go 99 steps forward: only \d revisions are pending/,
  },
  {
    name: 'a revision with SQL in it',
    command: 'upgrade',
    options: () => ({ revision: "a'; drop table x; --" }),
    expect: /^Invalid revision 'a'; drop table x; --'\. Use head, base/,
  },
  { name: 'an empty revision word', command: 'stamp', options: () => ({ revision: '' }), expect: /^Invalid revision '': a revision word must not be empty/ },
  {
    name: 'downgrade more steps than applied',
    setup: upgraded,
    command: 'downgrade',
    options: () => ({ revision: '-99' }),
    expect: /^Cannot go 99 steps back: only \d revisions are applied\. Use 'base'/,
  },
  {
    name: 'downgrade to a revision ahead',
    command: 'downgrade',
    options: () => ({ revision: 'head' }),
    expect: /is ahead of the current revision \(base\); downgrade only goes back/,
  },
  { name: 'stamp an unknown revision', command: 'stamp', options: () => ({ revision: 'nope42' }), expect: /^Unknown revision 'nope42'/ },
  {
    name: 'migrate while revisions are pending',
    command: 'migrate',
    options: () => ({ message: 'add a thing' }),
    expect: /^The database is not at head: \d revisions are pending .*Run 'veloiq db upgrade' first/,
  },

  // --- env files ---
  {
    name: 'an env file that does not exist',
    command: 'current',
    options: () => ({ envFile: '.env.nope' }),
    expect: /^Env file '\.env\.nope' not found \(looked at .*\)\. Check the --env-file path\./,
  },
  {
    name: 'an env file with a line that is not KEY=value',
    command: 'current',
    options: (c) => ({ envFile: envFile(c, '.env.garbage', 'A=1\nDATABASE_URL postgres://u:Garbage-Pw@h/d\n') }),
    expect: /^Env file '.*\.env\.garbage' line 2 is not KEY=value \(the text is not shown: it may hold a secret\)/,
  },
  {
    name: 'an env file with a quote that never closes',
    command: 'current',
    options: (c) => ({ envFile: envFile(c, '.env.quote', 'A=1\nSECRET="abc\nB=2\n') }),
    expect: /^Env file '.*\.env\.quote' line 2: a " quote opens and never closes/,
  },
  {
    name: 'an env file of binary junk',
    command: 'current',
    options: (c) => ({ envFile: envFile(c, '.env.binary', '\u0000\u0001\u0002\u00ff junk\n') }),
    expect: /^Env file '.*\.env\.binary' line 1 is not KEY=value/,
  },

  {
    name: 'an env file that is a folder',
    command: 'current',
    options: (c) => ({ envFile: c.dir }),
    expect: /^Env file '.*' is a folder \(.*\), not a file\. Give --env-file the path of a file of KEY=value lines\./,
  },

  // --- the MikroORM config ---
  {
    name: 'a config that throws on load',
    setup: (c) => writeFileSync(join(c.project.backend, 'mikro-orm.config.ts'), "throw new Error('config exploded');\n"),
    command: 'current',
    expect: /^Cannot load backend\/mikro-orm\.config\.ts:1:7: config exploded\. Fix the config \(or the file it imports\)\./,
  },
  {
    name: 'a config with a syntax error',
    setup: (c) => writeFileSync(join(c.project.backend, 'mikro-orm.config.ts'), 'export default { clientUrl: ;\n'),
    command: 'upgrade',
    expect: /^Cannot load backend\/mikro-orm\.config\.ts:1:29: Unexpected ";"\. Fix the config/,
  },
  {
    name: 'no config at all',
    setup: (c) => unlinkSync(join(c.project.backend, 'mikro-orm.config.ts')),
    command: 'upgrade',
    expect: /^No MikroORM config found: looked for mikro-orm\.config\.ts in .*Add one there/,
  },
  {
    name: 'a URL for another database engine',
    command: 'current',
    env: () => ({ DATABASE_URL: 'mysql://root:My-Sql-Pw@127.0.0.1/app' }),
    expect: /is not valid: it starts with 'mysql:\/\/': start it with postgresql:\/\//,
  },
  {
    name: 'a password with a % that starts no escape',
    command: 'upgrade',
    env: () => ({ DATABASE_URL: 'postgresql://app:Raw%zz-Pw@127.0.0.1:5432/app' }),
    expect: /is not valid: the user or password holds a % that starts no percent escape: write % as %25/,
    hidden: ['Raw%zz-Pw', 'Raw%zz', 'zz-Pw'],
  },
  {
    name: 'a project whose MikroORM config is gone, through veloiq',
    run: async (c) => {
      // A workspace of its own: the sample's config must stay where it is.
      const workspace = join(c.dir, 'ws');
      mkdirSync(join(workspace, 'apps/shop/backend/migrations'), { recursive: true });
      writeFileSync(join(workspace, 'nx.json'), '{}');
      writeFileSync(join(workspace, 'apps/shop/project.json'), '{ "name": "shop" }');
      symlinkSync(join(WORKSPACE, 'node_modules'), join(workspace, 'node_modules'), 'dir');
      return run(process.execPath, [join(WORKSPACE, 'packages/veloiq-db/bin/veloiq.js'), '--', 'db', 'upgrade'], { cwd: join(workspace, 'apps/shop/backend') });
    },
    expect:
      /^Project 'shop' has no MikroORM config \(looked for mikro-orm\.config\.ts, \.js or \.cjs in apps\/shop\/backend and apps\/shop\), so it has no 'db-upgrade' target\. Restore the file \(git checkout\), or add one with 'nx g @veloiq\/db:project shop'\.$/m,
  },
  {
    name: 'a model file with a syntax error',
    setup: (c) => {
      mkdirSync(join(c.project.backend, 'src/modules/broken'));
      writeFileSync(join(c.project.backend, 'src/modules/broken/models.ts'), 'export const Broken = ;\n');
    },
    command: 'check',
    expect: /^Cannot load entities from backend\/src\/modules\/broken\/models\.ts:1:23: Unexpected ";"\. Fix the entity file/,
  },
  {
    name: 'a password with an unencoded @',
    command: 'upgrade',
    env: () => ({ DATABASE_URL: 'postgresql://app:p@ss@127.0.0.1:5432/app' }),
    expect: /is not valid: the password seems to hold an unencoded @ or #: percent-encode/,
  },

  // --- revisions that fail ---
  {
    name: 'a migration that throws in up',
    setup: (c) => extra(c, 'mx000001', 'throws_in_up', "    throw new Error('up exploded');"),
    command: 'upgrade',
    expect: /^Revision mx000001 \(throws in up\) failed to apply: up exploded\. Nothing was changed; fix the revision/,
  },
  {
    name: 'a migration whose SQL fails',
    setup: (c) => extra(c, 'mx000001', 'bad_sql', '    this.addSql(\'alter table "nowhere" add column x int\');'),
    command: 'upgrade',
    expect: /^Revision mx000001 \(bad sql\) failed to apply: .*relation "nowhere" does not exist\. Nothing was changed/,
  },
  {
    name: 'a migration that throws in down',
    setup: async (c) => {
      extra(c, 'mx000001', 'throws_in_down', '    this.addSql(\'create table "down_boom" (id int)\');');
      writeFileSync(
        join(c.project.migrations, 'mx000001_throws_in_down.ts'),
        `import { Migration } from '@mikro-orm/migrations';\nexport class M extends Migration {\n  override async up() { this.addSql('create table "down_boom" (id int)'); }\n  override async down() { throw new Error('down exploded'); }\n}\n`,
      );
      await upgraded(c);
    },
    command: 'downgrade',
    options: () => ({ revision: '-1' }),
    expect: /^Revision mx000001 \(throws in down\) failed to revert: down exploded\. Nothing was changed/,
  },
  {
    name: 'a revision file that does not compile',
    setup: (c) => writeFileSync(join(c.project.migrations, 'mx000001_broken.ts'), 'export class M extends {\n'),
    command: 'upgrade',
    expect:
      /^Revision mx000001 \(mx000001_broken\) cannot be loaded: backend\/migrations\/mx000001_broken\.ts:2:1: Expected identifier but found end of file\. Fix the file and try again\./,
  },
  {
    name: 'a revision file that exports no class',
    setup: (c) => writeFileSync(join(c.project.migrations, 'mx000001_empty.ts'), 'export const nothing = 1;\n'),
    command: 'upgrade',
    expect:
      /^backend\/migrations\/mx000001_empty\.ts is in the migrations folder but exports no migration class\. A revision file must export a class that extends Migration/,
  },
  {
    name: 'a helper module in the migrations folder (it exports a function, no migration class)',
    setup: (c) => writeFileSync(join(c.project.migrations, 'helpers.ts'), 'export function tableName(name: string) {\n  return `app_${name}`;\n}\n'),
    command: 'upgrade',
    expect: /^backend\/migrations\/helpers\.ts is in the migrations folder but exports no migration class\. .*move a helper module out of the folder/,
  },
  {
    name: 'a revision with a syntax error in its up()',
    setup: (c) => extra(c, 'mx000001', 'typo', "    this.addSql('select 1')\n    const x = ;"),
    command: 'upgrade',
    expect: /^Revision mx000001 \(mx000001_typo\) cannot be loaded: backend\/migrations\/mx000001_typo\.ts:11:15: Unexpected ";"\. Fix the file/,
  },

  // --- the server ---
  {
    name: 'an unreachable host',
    command: 'upgrade',
    env: () => ({ DATABASE_URL: 'postgresql://app:Unreach-Pw@127.0.0.1:1/app' }),
    expect: /^Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/app: connection refused\. Start the server or check DATABASE_URL/,
  },
  {
    name: 'a host that does not exist',
    command: 'upgrade',
    env: () => ({ DATABASE_URL: 'postgresql://app@no-such-host.invalid:5432/app' }),
    expect: /^Cannot connect to PostgreSQL at no-such-host\.invalid:5432\/app: host not found\./,
  },
  {
    name: 'a wrong password',
    command: 'upgrade',
    env: () => ({ DATABASE_URL: server!.url('postgres').replace(/:[^:@/]*@/, ':Wrong-Pw-123@') }),
    expect: /^PostgreSQL at 127\.0\.0\.1:\d+\/postgres refused the login: password authentication failed for user "postgres"\./,
  },
  {
    name: 'a database that does not exist',
    command: 'upgrade',
    env: (c) => ({ DATABASE_URL: `${c.db.url}_missing` }),
    expect: /^Database 127\.0\.0\.1:5432\/vq_bad_\w+_missing does not exist\. Create it \(createdb\)/,
  },
  {
    name: 'a user without DDL rights',
    setup: async (c) => {
      const role = `vq_noddl_${c.db.name.slice(-5)}`;
      await adminQuery(SYSTEM_PG, `create role "${role}" login`);
      c.cleanup.push(() => adminQuery(SYSTEM_PG, `drop role if exists "${role}"`));
    },
    command: 'upgrade',
    env: (c) => ({ DATABASE_URL: c.db.url.replace('postgres@', `vq_noddl_${c.db.name.slice(-5)}@`) }),
    expect: /^Cannot write the migrations table public\.mikro_orm_migrations: permission denied for schema public\. Run as a user that may/,
  },
  {
    name: 'another run holds the lock and --lock-timeout is 0',
    setup: async (c) => {
      const holder = new Client({ connectionString: c.db.url, application_name: 'other-deploy' });
      await holder.connect();
      await holder.query('select pg_advisory_lock($1)', [String(lockKey(c.db.name, 'public', 'mikro_orm_migrations'))]);
      c.cleanup.push(() => holder.end());
    },
    command: 'upgrade',
    options: () => ({ lockTimeout: 0 }),
    expect: /^The migration lock on vq_bad_\w+ \(public\.mikro_orm_migrations\) is held by 'other-deploy' \(PostgreSQL pid \d+/,
  },

  // --- the record table ---
  {
    name: 'a record table edited by hand (unknown name): current warns',
    setup: async (c) => {
      await upgraded(c);
      await c.db.query(`insert into mikro_orm_migrations (name) values ('zz_typed_by_hand')`);
    },
    command: 'current',
    code: 0,
    expect:
      /^Warning: zz_typed_by_hand is recorded as applied but no revision file has that name; restore the file \(git\), or fix the record with 'veloiq db stamp/,
  },
  {
    name: 'a record table edited by hand (unknown name): migrate refuses',
    setup: async (c) => {
      await upgraded(c);
      await c.db.query(`insert into mikro_orm_migrations (name) values ('zz_typed_by_hand')`);
    },
    command: 'migrate',
    options: () => ({ message: 'anything' }),
    expect: /^The database has revision zz_typed_by_hand applied, but no file in .* holds it\. Restore that file \(or run 'veloiq db stamp'\)/,
  },
  {
    name: 'a table of that name that is not the record table',
    setup: (c) => c.db.query('create table mikro_orm_migrations (id int, note text)'),
    command: 'history',
    expect: /^The table public\.mikro_orm_migrations is not MikroORM's migrations table \(column r\.name does not exist\)\. Rename that table/,
  },
  {
    name: 'an applied revision file removed: history warns',
    setup: appliedThenRemoved,
    command: 'history',
    code: 0,
    expect: /^Warning: mx000001_removed_later is recorded as applied but no revision file has that name/,
  },
  {
    name: 'an applied revision file removed: status fails naming it',
    setup: appliedThenRemoved,
    command: 'status',
    expect: /^The database ran revisions that differ from the files: mx000001_removed_later is recorded as applied but no revision file has that name\./,
  },
  {
    name: 'an applied revision file edited: upgrade warns and applies nothing',
    setup: async (c) => {
      await upgraded(c);
      appendFileSync(join(c.project.migrations, `${c.names[0]}.ts`), '// changed after it was applied\n');
    },
    command: 'upgrade',
    code: 0,
    expect: /^Warning: applied revision \w+ \(.*\) changed since it was applied; the database ran the old version\./,
  },
  {
    name: 'record rows for the pre-checksum era with a hand-made table (accepted: no warning, no failure)',
    setup: async (c) => {
      await c.db.query(TABLE_SQL);
      await c.db.query(`insert into mikro_orm_migrations (name) values ('${c.names[0]}.ts')`);
    },
    command: 'current',
    code: 0,
    where: 'output',
    expect: /Not at head: \d revisions? behind head/,
  },
];

describe('bad inputs', { concurrency: 4 }, async () => {
  const skip = await missingSystemPg();
  const dir = mkdtempSync(join(tmpdir(), 'veloiq-bad-'));
  chmodSync(dir, 0o777); // the embedded server runs as the postgres user when we are root
  // A server that checks passwords, for the wrong-password row: ours, so failing to start fails.
  server = await startEmbedded(join(dir, 'pg'));

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const row of ROWS) {
    test(row.name, { skip }, async () => {
      const project = copySample();
      const db = await createTestDatabase('vq_bad');
      const c: Ctx = {
        project,
        db,
        dir: mkdtempSync(join(dir, 'env-')),
        names: readdirSync(project.migrations)
          .map((f) => f.replace(/\.ts$/, ''))
          .sort(),
        cleanup: [],
      };
      try {
        await row.setup?.(c);
        const beforeDb = await snapshotDatabase(db);
        const beforeFiles = snapshotFiles(project.root);
        const result = row.run
          ? await row.run(c)
          : await runEngine(row.command!, project.root, row.options?.(c) ?? {}, { DATABASE_URL: db.url, ...row.env?.(c) });
        const shown = row.where === 'output' ? result.stdout + result.stderr : result.stderr;
        assert.equal(result.code, row.code ?? 1, `exit code; output:\n${result.stdout}\n${result.stderr}`);
        assert.match(shown, row.expect);
        if (!row.run) {
          assert.equal(result.stderr.trim().split('\n').length, 1, `one line, no stack:\n${result.stderr}`);
        }
        assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at .*:\d+:\d+\)?\n/, 'no stack trace');
        for (const secret of row.hidden ?? []) assert.ok(!(result.stdout + result.stderr).includes(secret), `'${secret}' is shown`);
        assert.equal(await snapshotDatabase(db), beforeDb, 'the database is unchanged');
        assert.equal(snapshotFiles(project.root), beforeFiles, "the project's files are unchanged");
      } finally {
        for (const undo of c.cleanup.reverse()) await undo().catch(() => undefined);
        await db.drop();
        project.remove();
      }
    });
  }
});
