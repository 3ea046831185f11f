// Shared test fixtures: real PostgreSQL databases and throwaway projects. No mocks.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Options } from '@mikro-orm/core';
import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';

export const WORKSPACE = resolve(__dirname, '../../..');
export const SAMPLE = join(WORKSPACE, 'apps/sample');
/** The same kind of app with decorator entities (experimentalDecorators, emitDecoratorMetadata). */
export const FIXTURE_DECORATORS = join(WORKSPACE, 'apps/fixture-decorators');
export const SYSTEM_PG = process.env.VELOIQ_TEST_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * The one reason a test skips: the machine has no PostgreSQL server at SYSTEM_PG. Our own
 * embedded PostgreSQL is the product: when it fails to start, the test fails.
 */
export async function missingSystemPg(): Promise<string | false> {
  return (await systemPgAvailable()) ? false : `no PostgreSQL at ${SYSTEM_PG.replace(/\/[^/]*$/, '')}`;
}

/** Whether the system PostgreSQL answers; tests that need it skip (with a reason) when not. */
export async function systemPgAvailable(): Promise<boolean> {
  const client = new Client({ connectionString: SYSTEM_PG, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function adminQuery<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Table names in the public schema, sorted. */
  tables(): Promise<string[]>;
  /** Names recorded as applied in mikro_orm_migrations, in order; [] when the table is absent. */
  applied(): Promise<string[]>;
  /**
   * Starts dropping the database and returns: the test goes on meanwhile. PostgreSQL ends every
   * DROP DATABASE with a checkpoint (seconds on a busy disk), and drops in flight together share
   * one. The file's process exits only once its drops are done (their connections keep it alive).
   */
  drop(): Promise<void>;
}

/** A fresh database on the system PostgreSQL with a unique name; drop() removes it. */
export async function createTestDatabase(prefix = 'vq'): Promise<TestDatabase> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
  await adminQuery(SYSTEM_PG, `create database "${name}"`);
  const url = SYSTEM_PG.replace(/\/[^/]*$/, `/${name}`);
  const db: TestDatabase = {
    name,
    url,
    query: (sql, params) => adminQuery(url, sql, params),
    tables: async () =>
      (await adminQuery<{ t: string }>(url, `select table_name as t from information_schema.tables where table_schema = 'public' order by 1`)).map((r) => r.t),
    applied: async () => {
      const [{ exists }] = await adminQuery<{ exists: boolean }>(url, `select to_regclass('public.mikro_orm_migrations') is not null as exists`);
      if (!exists) return [];
      return (await adminQuery<{ name: string }>(url, 'select name from mikro_orm_migrations order by id')).map((r) => r.name);
    },
    drop: async () => {
      adminQuery(SYSTEM_PG, `drop database if exists "${name}" with (force)`).catch((error) =>
        process.stderr.write(`test database ${name} was not dropped: ${error instanceof Error ? error.message : error}\n`),
      );
    },
  };
  return db;
}

export interface TestProject {
  /** The project root (holds project.json and backend/). */
  root: string;
  backend: string;
  migrations: string;
  remove(): void;
}

/**
 * A copy of apps/sample (or another app) in a temporary folder, so a test can edit entities and
 * revisions freely. Its node_modules links to the workspace's, so the config and revisions
 * resolve their imports.
 */
export function copySample(app = SAMPLE): TestProject {
  const root = mkdtempSync(join(tmpdir(), 'veloiq-test-'));
  // The embedded PostgreSQL runs as the postgres user when tests run as root: let it reach the data.
  chmodSync(root, 0o755);
  cpSync(app, root, {
    recursive: true,
    filter: (src) => !src.includes(`${'/'}.veloiq`) && !src.endsWith('/.env'),
  });
  symlinkSync(join(WORKSPACE, 'node_modules'), join(root, 'node_modules'), 'dir');
  const backend = join(root, 'backend');
  return { root, backend, migrations: join(backend, 'migrations'), remove: () => rmSync(root, { recursive: true, force: true }) };
}

export interface WorkspaceClone {
  /** The clone's root: runs `nx` and `veloiq` as the workspace does. */
  root: string;
  /** Its apps/sample. */
  sample: string;
  git(...args: string[]): string;
  remove(): void;
}

/**
 * A git clone of this workspace (its committed files) in a temporary folder, with the
 * workspace's node_modules (so @veloiq/db is these sources): a test runs Nx on it and edits it
 * freely, and never touches the repository's own apps/.
 */
export function cloneWorkspace(): WorkspaceClone {
  const root = mkdtempSync(join(tmpdir(), 'veloiq-workspace-'));
  chmodSync(root, 0o755);
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', WORKSPACE, root]);
  symlinkSync(join(WORKSPACE, 'node_modules'), join(root, 'node_modules'), 'dir');
  // The link is no folder to the .gitignore's `node_modules/`: without this, `git add -A` commits
  // it and a later reset or clean removes it.
  appendFileSync(join(root, '.git/info/exclude'), '/node_modules\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  git('config', 'user.email', 'ci@veloiq.test');
  git('config', 'user.name', 'CI');
  return { root, sample: join(root, 'apps/sample'), git, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export interface SampleWithDatabase {
  project: TestProject;
  db: TestDatabase;
  /** What a command is told when run from the copy's root, DATABASE_URL naming the database. */
  options: { projectRoot: string; cwd: string; env: { DATABASE_URL: string } };
  dispose(): Promise<void>;
}

/**
 * A sample copy (or a copy of `app`) and a fresh database: what most engine tests start from. The
 * commands get the database through `options.env` (never through this process's own
 * environment); dispose() drops the database and removes the copy.
 */
export async function sampleWithDatabase(prefix: string, app = SAMPLE): Promise<SampleWithDatabase> {
  const project = copySample(app);
  const db = await createTestDatabase(prefix);
  return {
    project,
    db,
    options: { projectRoot: project.root, cwd: project.root, env: { DATABASE_URL: db.url } },
    dispose: async () => {
      await db.drop();
      project.remove();
    },
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * What every child process runs with: no Nx daemon or cloud, no colours, and Nx's plugins loaded
 * in its own process (isolated plugin workers cost seconds of startup per `nx` run and change
 * nothing these tests look at).
 */
const QUIET_NX = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_ISOLATE_PLUGINS: 'false', FORCE_COLOR: '0' };

/** Runs a command to completion; never throws on a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; /** As another user (needs root). */ uid?: number },
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...QUIET_NX, ...options.env },
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** `nx <args>` through the workspace's Nx, from `cwd` (default: the workspace root). */
export function nx(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return run(join(WORKSPACE, 'node_modules/.bin/nx'), args, { cwd: options.cwd ?? WORKSPACE, env: options.env, timeoutMs: options.timeoutMs });
}

/**
 * `veloiq <args>` from `cwd`: the `node_modules/.bin/veloiq` link nearest above it, which is what
 * `npx veloiq` runs. npm's own startup (a second of CPU per call, dozens of calls) changes nothing
 * these tests look at; `npx: true` goes through npx itself, as a user types it.
 */
export function veloiq(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; npx?: boolean }): Promise<RunResult> {
  if (options.npx) return run('npx', ['--no-install', 'veloiq', ...args], options);
  for (let dir = resolve(options.cwd); ; dir = dirname(dir)) {
    const bin = join(dir, 'node_modules/.bin/veloiq');
    if (existsSync(bin)) return run(bin, args, options);
    if (dir === dirname(dir)) return run('npx', ['--no-install', 'veloiq', ...args], options);
  }
}

/** Environment without DATABASE_URL, so the embedded PostgreSQL is used. */
export function withoutDatabaseUrl(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  return env;
}

/**
 * A copy of this workspace (nx.json, packages/, apps/, the root files) in a temporary folder,
 * with node_modules linked to the workspace's: Nx runs the plugin from the copy's sources,
 * uncommitted changes included, and a test may edit anything in it.
 */
export function copyWorkspace(prefix = 'veloiq-ws-'): { root: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(root, 0o755);
  for (const entry of ['nx.json', 'package.json', 'tsconfig.base.json', '.gitignore', '.nxignore', 'packages', 'apps']) {
    cpSync(join(WORKSPACE, entry), join(root, entry), {
      recursive: true,
      filter: (src) => !/\/(node_modules|\.veloiq|\.nx|dist)(\/|$)/.test(src.slice(WORKSPACE.length)) && !/\/\.env$/.test(src),
    });
  }
  symlinkSync(join(WORKSPACE, 'node_modules'), join(root, 'node_modules'), 'dir');
  symlinkSync(join(WORKSPACE, 'packages/veloiq-db/node_modules'), join(root, 'packages/veloiq-db/node_modules'), 'dir');
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * A new app folder outside the repository, as a newcomer's app would be: its own package.json,
 * and this workspace's packages resolvable through a linked node_modules.
 */
export function scratchApp(prefix: string, packageJson: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  symlinkSync(join(WORKSPACE, 'node_modules'), join(root, 'node_modules'), 'dir');
  writeInto(root, 'package.json', JSON.stringify(packageJson));
  return root;
}

/** Writes `content` to `file` under `root`, making its folders. */
export function writeInto(root: string, file: string, content: string): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), content);
}

/**
 * An existing app's history as MikroORM's own migrator writes and applies it (its CLI run in
 * `baseDir`): the initial migration, created and applied. Returns its name (`Migration<timestamp>`).
 */
export async function applyMikroOrmInitialMigration(config: Options, baseDir: string): Promise<string> {
  const orm = await MikroORM.init({ ...config, baseDir, debug: false });
  try {
    const name = (await orm.getMigrator().createInitialMigration()).fileName.replace(/\.ts$/, '');
    await orm.getMigrator().up();
    return name;
  } finally {
    await orm.close(true);
  }
}
