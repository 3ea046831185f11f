// The sample app's server (apps/sample/backend/src/main.ts on @veloiq/db/runtime), started as a
// user starts it, against real PostgreSQL: createTablesOnStartup, the stale-schema guard, and
// the switch-over from tables created on startup to migrations.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Client } from 'pg';
import { lockKey } from '../src/core/lock';
import { WORKSPACE, copySample, createTestDatabase, nx, run, type TestDatabase, type TestProject } from './support';

const ENGINE = join(WORKSPACE, 'packages/veloiq-db/src/commands');

interface Started {
  port: number;
  stdout: () => string;
  stderr: () => string;
  get(path: string): Promise<{ status: number; body: any }>;
  post(path: string, body: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<number>;
}

interface Exited {
  code: number;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();

/** What the sample's schema is made of; others edit these in the shared tree while we run. */
const SCHEMA_PATHS = ['backend/migrations', 'backend/src/modules', 'backend/src/generated'];

/**
 * A copy of the sample whose entities and revisions are the committed ones (a half-made model
 * change in the working tree must not change what these tests see); the rest, main.ts
 * included, is the working tree's. On a clean clone both are the same.
 */
function copyCommittedSample(): TestProject {
  const project = copySample();
  const archive = spawnSync('git', ['archive', 'HEAD', ...SCHEMA_PATHS.map((p) => `apps/sample/${p}`)], { cwd: WORKSPACE, maxBuffer: 64 << 20 });
  if (archive.status !== 0) return project; // not a git checkout: the working tree is all there is
  for (const path of SCHEMA_PATHS) rmSync(join(project.root, path), { recursive: true, force: true });
  const untar = spawnSync('tar', ['-x', '--strip-components=2', '-C', project.root], { input: archive.stdout });
  assert.equal(untar.status, 0, `tar failed: ${untar.stderr}`);
  return project;
}

/** Starts the sample server of a project copy: resolves once it listens, or with its exit when it refuses. */
function startApp(project: TestProject, env: NodeJS.ProcessEnv): Promise<Started | Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'backend/src/main.ts'], {
      cwd: project.root,
      env: { ...process.env, PORT: '0', CREATE_TABLES_ON_STARTUP: '', STALE_SCHEMA: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    let listening = false;
    const exited = new Promise<number>((done) => child.on('exit', (code) => (running.delete(child), done(code ?? -1))));
    // Only a bound on a hung start: a first start initialises the embedded PostgreSQL, which on a
    // loaded 2-core machine beside a full test run takes over 30 s.
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      const match = /listening on http:\/\/localhost:(\d+)/.exec(stdout);
      if (match && !listening) {
        listening = true;
        clearTimeout(timer);
        const url = (path: string) => `http://127.0.0.1:${match[1]}${path}`;
        const answer = async (res: Response) => ({ status: res.status, body: await res.json() });
        resolve({
          port: Number(match[1]),
          stdout: () => stdout,
          stderr: () => stderr,
          get: async (path) => answer(await fetch(url(path))),
          post: async (path, body) => answer(await fetch(url(path), { method: 'POST', body: JSON.stringify(body) })),
          stop: async () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    child.on('error', reject);
    exited.then((code) => {
      clearTimeout(timer);
      if (!listening) resolve({ code, stdout, stderr });
    });
  });
}

async function serving(project: TestProject, env: NodeJS.ProcessEnv): Promise<Started> {
  const app = await startApp(project, env);
  assert.ok('port' in app, `the server should start; it exited ${(app as Exited).code}: ${(app as Exited).stderr}`);
  return app;
}

async function refused(project: TestProject, env: NodeJS.ProcessEnv): Promise<string> {
  const app = await startApp(project, env);
  if ('port' in app) {
    await app.stop();
    assert.fail(`the server should refuse to start; it listened on ${app.port}`);
  }
  assert.equal(app.code, 1, 'a refusal exits 1');
  const lines = app.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${app.stderr}`);
  assert.doesNotMatch(app.stderr, /\bat .*\.ts:\d+/, 'no stack trace');
  return lines[0];
}

/** Runs an engine command (upgrade, stamp, migrate) in its own process, as an executor would. */
async function engine(command: string, project: TestProject, db: TestDatabase | undefined, options: object = {}): Promise<any> {
  const script =
    `require(${JSON.stringify(join(ENGINE, command))}).${command}(${JSON.stringify({ projectRoot: project.root, cwd: project.root, ...options })})` +
    `.then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e.message); process.exit(1); })`;
  const result = await run(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: project.root, env: { DATABASE_URL: db?.url } });
  assert.equal(result.code, 0, `${command} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!);
}

/** Every column of the public tables but the record, as `table.column type nullable`, sorted. */
async function columns(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ c: string }>(
    `select table_name || '.' || column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '') || ' ' || is_nullable as c
       from information_schema.columns where table_schema = 'public' and table_name <> 'mikro_orm_migrations' order by 1`,
  );
  return rows.map((r) => r.c);
}

// Each test has its own project copy and databases, so they run side by side.
describe('the sample app on @veloiq/db/runtime', { concurrency: 3 }, () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  async function fixture(): Promise<{ project: TestProject; db: TestDatabase }> {
    const project = copyCommittedSample();
    const db = await createTestDatabase('vq_app');
    cleanups.push(
      () => project.remove(),
      () => db.drop(),
    );
    return { project, db };
  }
  after(async () => {
    for (const child of running) child.kill('SIGKILL');
    for (const cleanup of cleanups) await cleanup();
  });

  test('by default the app creates the tables on an empty database and serves them', async () => {
    const { project, db } = await fixture();
    const app = await serving(project, { DATABASE_URL: db.url });
    assert.match(app.stdout(), /Created on startup: product, orders/);
    assert.deepEqual(await db.tables(), ['orders', 'product'], 'tables only: no migration record');
    assert.match(app.stderr(), /^warning: createTablesOnStartup created product, orders in a database with no migration record; .*'veloiq db stamp'/);

    assert.deepEqual(await app.get('/health'), { status: 200, body: { status: 'ok' } });
    const tea = await app.post('/products', { name: 'Tea', priceCents: 350 });
    assert.equal(tea.status, 201);
    assert.equal((await app.post('/orders', { productId: tea.body.id, quantity: 2 })).status, 201);
    assert.equal((await app.post('/orders', { productId: 999, quantity: 1 })).status, 404);
    assert.equal((await app.post('/products', { name: '', priceCents: 1 })).status, 400);
    assert.equal(await app.stop(), 0, 'SIGTERM closes the server and the ORM');

    const again = await serving(project, { DATABASE_URL: db.url });
    assert.doesNotMatch(again.stdout(), /Created on startup/, 'a second start has nothing to create');
    const orders = await again.get('/orders');
    assert.deepEqual(
      orders.body.map((o: any) => [o.productName, o.quantity]),
      [['Tea', 2]],
      'what the first run stored is still there',
    );
    await again.stop();
  });

  test('an app started while an upgrade holds the migration lock waits, then builds on what the upgrade made', async () => {
    const { project, db } = await fixture();
    const upgrade = new Client({ connectionString: db.url });
    await upgrade.connect();
    try {
      await upgrade.query('select pg_advisory_lock($1)', [String(lockKey(db.name, 'public', 'mikro_orm_migrations'))]);
      const starting = startApp(project, { DATABASE_URL: db.url });
      const waiting = async () =>
        (
          await upgrade.query(
            `select 1 from pg_locks l join pg_stat_activity a using (pid)
              where l.locktype = 'advisory' and not l.granted and a.application_name like 'veloiq db app startup%'`,
          )
        ).rowCount;
      for (let i = 0; i < 300 && !(await waiting()); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(await waiting(), 1, 'the app waits for the migration lock');
      // Meanwhile the "upgrade" creates one of the tables, then ends.
      await upgrade.query(
        `create table product (id serial primary key, name varchar(200) not null, price_cents int not null, created_at timestamptz not null)`,
      );
      await upgrade.query('select pg_advisory_unlock_all()');
      const app = await starting;
      assert.ok('port' in app, `the app should start: ${(app as Exited).stderr}`);
      assert.match(app.stdout(), /Created on startup: orders\n/, 'it creates only what the upgrade left missing');
      assert.match(app.stderr(), /Waiting up to \d+ s for the migration lock/);
      await app.stop();
    } finally {
      await upgrade.end();
    }
  });

  test('createTablesOnStartup adds missing tables and columns, and never drops or alters what exists', async () => {
    const { project, db } = await fixture();
    // An older product table: a narrower name, a column the entities no longer have, no price or date.
    await db.query(`create table product (id serial primary key, name varchar(50) not null, legacy text)`);
    await db.query(`insert into product (name, legacy) values ('Old', 'kept')`);
    await db.query(`create table audit_log (id serial primary key)`);
    const app = await startApp(project, { DATABASE_URL: db.url });
    // price_cents is NOT NULL and the table has a row: PostgreSQL cannot add it, and the app says so.
    assert.ok(!('port' in app), 'the app does not start on a change only a migration can make');
    assert.match(app.stderr, /^Creating the missing tables on startup failed: .*price_cents.*veloiq db migrate/);
    assert.deepEqual(await db.tables(), ['audit_log', 'product'], 'the failed attempt left nothing behind');

    await db.query(`delete from product`);
    const second = await serving(project, { DATABASE_URL: db.url });
    const created = /Created on startup: (.*)/.exec(second.stdout())?.[1].split(', ') ?? [];
    assert.equal(created[0], 'orders');
    assert.ok(created.includes('product.price_cents') && created.includes('product.created_at'), `created: ${created.join(', ')}`);
    assert.ok(!created.includes('product.name') && !created.includes('audit_log'), 'what exists is not created again');
    await second.stop();
    assert.deepEqual(await db.tables(), ['audit_log', 'orders', 'product'], 'a table no entity maps is not dropped');
    const product = (await columns(db)).filter((c) => c.startsWith('product.'));
    for (const column of [
      'product.legacy text YES', // a column no entity maps stays
      'product.name character varying(50) NO', // a column that differs is not altered
      'product.price_cents integer NO',
      'product.created_at timestamp with time zone NO',
    ]) {
      assert.ok(product.includes(column), `${column} in ${product.join(', ')}`);
    }
  });

  test('with createTablesOnStartup off the app refuses a database behind its migrations until upgrade', async () => {
    const { project, db } = await fixture();
    const env = { DATABASE_URL: db.url, CREATE_TABLES_ON_STARTUP: 'false' };
    const ids = readdirSync(project.migrations)
      .map((f) => f.slice(0, 8))
      .sort();

    const empty = await refused(project, env);
    assert.match(empty, /^Not starting: the database has no migration record.*Run 'veloiq db upgrade'.*'veloiq db stamp'/);
    assert.deepEqual(await db.tables(), [], 'nothing is created in this mode');

    await engine('upgrade', project, db, { revision: ids[0] });
    const behind = await refused(project, env);
    const n = ids.length - 1;
    assert.equal(
      behind,
      `Not starting: the database is ${n} revision${n === 1 ? '' : 's'} behind its migrations (current: ${ids[0]}, head: ${ids.at(-1)}). ` +
        `Run 'veloiq db upgrade' to apply ${n === 1 ? 'it' : 'them'}.`,
    );

    const warned = await serving(project, { ...env, STALE_SCHEMA: 'warn' });
    assert.match(warned.stderr(), new RegExp(`^warning: starting anyway: the database is ${n} revisions? behind`));
    await warned.stop();

    await engine('upgrade', project, db);
    const app = await serving(project, env);
    assert.equal(app.stderr(), '', 'no warning at head');
    assert.doesNotMatch(app.stdout(), /Created on startup/);
    const soap = await app.post('/products', { name: 'Soap', priceCents: 199 });
    assert.equal((await app.post('/orders', { productId: soap.body.id, quantity: 3 })).status, 201);
    assert.deepEqual(
      (await app.get('/products')).body.map((p: any) => p.name),
      ['Soap'],
      'it serves the database its migrations built',
    );
    await app.stop();
  });

  test('switch-over: tables created on startup, then stamp, then migrations from then on', async () => {
    const { project, db } = await fixture();
    // 1. Prototyping: the app creates its tables, and data goes in.
    const proto = await serving(project, { DATABASE_URL: db.url });
    const kettle = await proto.post('/products', { name: 'Kettle', priceCents: 2500 });
    await proto.post('/orders', { productId: kettle.body.id, quantity: 1 });
    await proto.stop();

    // The schema the app created is the one the migrations build, which is what makes stamp safe.
    const reference = await createTestDatabase('vq_app_ref');
    cleanups.push(() => reference.drop());
    await engine('upgrade', project, reference);
    assert.deepEqual(await columns(db), await columns(reference));

    // 2. Migrations take over: with createTablesOnStartup off, the app asks for a stamp.
    const off = { DATABASE_URL: db.url, CREATE_TABLES_ON_STARTUP: 'false' };
    assert.match(await refused(project, off), /tables \(.*product.*\) but no migration record.*Run 'veloiq db stamp'/);
    const stamped = await engine('stamp', project, db);
    assert.equal(stamped.head, true);
    const managed = await serving(project, off);
    assert.deepEqual(
      (await managed.get('/orders')).body.map((o: any) => o.productName),
      ['Kettle'],
      'stamp kept the data',
    );
    await managed.stop();

    // 3. From then on a model change is a revision: migrate writes it, the app waits for upgrade.
    const models = join(project.backend, 'src/modules/products/models.ts');
    writeFileSync(
      models,
      readFileSync(models, 'utf8').replace(`priceCents: p.integer(),`, `priceCents: p.integer(),\n    weightGrams: p.integer().nullable(),`),
    );
    const migrated = await engine('migrate', project, db, { message: 'add weight to product' });
    assert.ok(migrated.revision, 'migrate wrote a revision');
    // Left on, createTablesOnStartup leaves to the pending revision what it creates, so upgrade still works.
    const early = await serving(project, { DATABASE_URL: db.url });
    assert.match(early.stderr(), /^warning: createTablesOnStartup created nothing: the database is 1 revision behind .*veloiq db upgrade/);
    await early.stop();
    assert.ok(!(await columns(db)).some((c) => c.startsWith('product.weight_grams')));
    assert.match(await refused(project, off), new RegExp(`1 revision behind its migrations .*head: ${migrated.revision.id}.*veloiq db upgrade`));
    await engine('upgrade', project, db);
    const upgraded = await serving(project, off);
    assert.equal((await upgraded.get('/health')).status, 200);
    assert.equal((await upgraded.get('/products')).body.length, 1);
    await upgraded.stop();
    assert.ok((await columns(db)).includes('product.weight_grams integer YES'), 'the column came from the revision');

    // Turning createTablesOnStartup back on in a migrated database is what the warning is for.
    writeFileSync(models, readFileSync(models, 'utf8').replace(`weightGrams:`, `note: p.string().nullable(),\n    weightGrams:`));
    const prototyping = await serving(project, { DATABASE_URL: db.url });
    assert.match(prototyping.stdout(), /Created on startup: product\.note/);
    assert.match(
      prototyping.stderr(),
      /^warning: createTablesOnStartup created product\.note in a database whose schema is owned by migrations; 'veloiq db migrate' will not see this change/,
    );
    await prototyping.stop();
  });

  test('npx nx run sample:serve starts the sample app (here: refusing an empty database)', async () => {
    const db = await createTestDatabase('vq_app_serve');
    cleanups.push(() => db.drop());
    const result = await nx(['run', 'sample:serve'], { env: { DATABASE_URL: db.url, CREATE_TABLES_ON_STARTUP: 'false', PORT: '0' } });
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /Not starting: the database has no migration record.*'veloiq db upgrade'/);
    assert.deepEqual(await db.tables(), []);
  });

  test('without DATABASE_URL the app and the commands share the embedded PostgreSQL in backend/.veloiq', async () => {
    const project = copyCommittedSample();
    cleanups.push(() => project.remove());
    const env = { DATABASE_URL: undefined, CREATE_TABLES_ON_STARTUP: 'false' };
    assert.match(await refused(project, env), /^Not starting: the database has no migration record/);

    await engine('upgrade', project, undefined);
    const app = await serving(project, env);
    assert.match(app.stdout(), /\(database 127\.0\.0\.1:\d+\/sample\)/);
    assert.equal((await app.post('/products', { name: 'Lamp', priceCents: 4200 })).status, 201);
    const current = await engine('current', project, undefined);
    assert.equal(current.head, true, 'a command run beside the app sees the same database');
    assert.equal(await app.stop(), 0);
    assert.ok(!existsSync(join(project.backend, '.veloiq/postgres/postmaster.pid')), 'the app stopped the server it started');
  });
});
