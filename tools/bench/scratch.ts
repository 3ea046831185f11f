// Throwaway workspaces, projects and databases for the benchmarks. A scratch project looks like
// a real VeloIQ backend: project.json with the db targets, a MikroORM config reading
// DATABASE_URL, entities, and generated revision files. It lives in one of two workspaces:
// - an installed one: a new Nx workspace in a temporary folder with @veloiq/db installed from
//   the tarball `npm run package` makes, as a user has it (compiled JavaScript);
// - this repository, under tools/bench/.scratch/<name> (git-ignored, un-ignored for Nx by
//   .nxignore), where Nx runs the plugin from its TypeScript sources, as while developing it.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Client } from 'pg';

export const WORKSPACE = resolve(__dirname, '../..');
export const SCRATCH = join(__dirname, '.scratch');

/** An Nx workspace the bench runs commands in. */
export interface BenchWorkspace {
  /** How the figures name it. */
  label: string;
  root: string;
  /** The folder scratch projects go in. */
  projects: string;
  nx: string;
  veloiq: string;
  /** The folder of the package's command modules (`upgrade`, `current`), for the engine alone. */
  commands: string;
  remove(): void;
}

export const SOURCE_WORKSPACE: BenchWorkspace = {
  label: 'this repository (plugin from TypeScript sources)',
  root: WORKSPACE,
  projects: SCRATCH,
  nx: join(WORKSPACE, 'node_modules/.bin/nx'),
  veloiq: join(WORKSPACE, 'packages/veloiq-db/bin/veloiq'),
  commands: join(WORKSPACE, 'packages/veloiq-db/src/commands'),
  remove: () => rmSync(SCRATCH, { recursive: true, force: true }),
};

/**
 * A new Nx workspace outside this repository with the packed @veloiq/db installed (with nx,
 * @nx/devkit and typescript, as a user's workspace has them), the plugin registered in nx.json
 * as `nx g @veloiq/db:init` does. Packages come from the npm cache `npm ci` filled.
 */
export function installedWorkspace(): BenchWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'veloiq-bench-'));
  // Run as root, the embedded PostgreSQL runs as the system user postgres, which must reach its
  // binaries (in node_modules) and the data folders: mkdtemp's folder is open to its owner only.
  chmodSync(root, 0o755);
  const run = (command: string, args: string[], cwd = root) => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const tarball = run(process.execPath, [join(WORKSPACE, 'packages/veloiq-db/scripts/pack.mjs'), '--out', join(root, '.pack')], WORKSPACE)
    .trim()
    .split('\n')
    .at(-1)!;
  const rootPackage = JSON.parse(readFileSync(join(WORKSPACE, 'package.json'), 'utf8'));
  const rootNx = JSON.parse(readFileSync(join(WORKSPACE, 'nx.json'), 'utf8'));
  const dev = rootPackage.devDependencies;
  writeFileSync(
    join(root, 'package.json'),
    JSON.stringify(
      {
        name: 'veloiq-bench-workspace',
        private: true,
        devDependencies: { nx: dev.nx, '@nx/devkit': dev['@nx/devkit'], typescript: dev.typescript, '@veloiq/db': `file:${tarball}` },
        allowScripts: rootPackage.allowScripts,
      },
      null,
      2,
    ),
  );
  writeFileSync(join(root, 'nx.json'), JSON.stringify({ plugins: rootNx.plugins, targetDefaults: rootNx.targetDefaults }, null, 2));
  writeFileSync(join(root, '.gitignore'), 'node_modules\n.nx\n.pack\n');
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund']);
  run('git', ['init', '-q']);
  return {
    label: 'installed package (compiled JavaScript)',
    root,
    projects: join(root, 'apps'),
    nx: join(root, 'node_modules/.bin/nx'),
    veloiq: join(root, 'node_modules/.bin/veloiq'),
    commands: join(root, 'node_modules/@veloiq/db/dist/commands'),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
/**
 * The median over rounds of `engine[i] / floor[i]`. A round times the two back to back, so each
 * ratio shares the disk's state of that moment (it swings 2x here from minute to minute, see
 * dropAfterTiming); the ratio of the best runs compares two separate moments.
 */
export function medianPairedRatio(engine: number[], floor: number[]): number {
  const ratios = engine.map((ms, i) => ms / floor[i]).sort((a, b) => a - b);
  const mid = Math.floor(ratios.length / 2);
  const median = ratios.length % 2 ? ratios[mid] : (ratios[mid - 1] + ratios[mid]) / 2;
  return Math.round(median * 100) / 100;
}

export const SYSTEM_PG = process.env.VELOIQ_BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export async function adminQuery(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

let checkpointRefused = false;

/**
 * A checkpoint, so the run timed next does not share the disk with the writing out of the last
 * run's thousands of new files (at the server's next checkpoint, every few minutes, in whichever
 * run it falls). A role that may not run CHECKPOINT is told once, and the figures are as noisy.
 */
async function checkpoint(): Promise<void> {
  if (checkpointRefused) return;
  try {
    await adminQuery(SYSTEM_PG, 'checkpoint');
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error;
    checkpointRefused = true;
    console.error('bench: this role may not run CHECKPOINT; timed runs may include the writing out of earlier runs');
  }
}

/** A fresh, empty database on the system PostgreSQL, checkpointed, ready for a timed run. */
export async function createDatabase(label: string): Promise<BenchDatabase> {
  const name = `vqbench_${label}_${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
  await adminQuery(SYSTEM_PG, `create database "${name}"`);
  await checkpoint();
  const url = SYSTEM_PG.replace(/\/[^/]*$/, `/${name}`);
  return { name, url, drop: async () => void (await adminQuery(SYSTEM_PG, `drop database if exists "${name}" with (force)`)) };
}

const droppedAfterTiming: BenchDatabase[] = [];

/**
 * Queues a timed run's database for dropTimedDatabases, after the last timed run. Dropping a
 * database deletes a file for each table and index, and on this ext4 disk the next run's table
 * creations pay for that: the inode allocator skips inodes deleted in the last half minute
 * (`recently_deleted` in perf's profile). Measured here with 1,000 one-table revisions: psql
 * took 3.0-3.8 s with no drop before it and 4.8-8 s right after one, all of the difference kernel
 * time in the server; whichever side ran after the other's drop lost.
 */
export function dropAfterTiming(db: BenchDatabase): void {
  droppedAfterTiming.push(db);
}

export async function dropTimedDatabases(): Promise<void> {
  for (const db of droppedAfterTiming.splice(0)) await db.drop();
}

/** Whether the process that made a bench database is still running (then the database is its own). */
function ownerRunning(name: string): boolean {
  const pid = Number(/_(\d+)_[a-z0-9]+$/.exec(name)?.[1]);
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Drops databases a killed run left behind (not those of a bench running beside this one). */
export async function dropLeftovers(): Promise<void> {
  const rows = await adminQuery(SYSTEM_PG, `select datname from pg_database where datname like 'vqbench\\_%'`);
  for (const { datname } of rows) {
    if (ownerRunning(String(datname))) continue;
    await adminQuery(SYSTEM_PG, `drop database if exists "${datname}" with (force)`);
  }
}

const BASE_MS = Date.UTC(2026, 0, 1);

/** The id of the i-th generated revision: 8-char base 36 milliseconds, like `migrate` writes. */
export function revisionId(i: number): string {
  return (BASE_MS + i * 1000).toString(36).padStart(8, '0');
}

export function tableName(i: number): string {
  return `bench_${String(i).padStart(5, '0')}`;
}

/** The SQL of the i-th revision: a table with a few columns and an index. */
export function revisionSql(i: number): string[] {
  const t = tableName(i);
  return [
    `create table "${t}" ("id" serial primary key, "name" varchar(200) not null, "amount_cents" int not null default 0, "note" text null, "created_at" timestamptz not null default now());`,
    `create index "${t}_name_index" on "${t}" ("name");`,
  ];
}

export function revisionFile(i: number): string {
  const id = revisionId(i);
  const up = revisionSql(i)
    .map((sql) => `    this.addSql(\`${sql}\`);`)
    .join('\n');
  return `/**
 * create ${tableName(i)} table
 *
 * Revision: ${id}
 * Created: ${new Date(BASE_MS + i * 1000).toISOString().replace('T', ' ').slice(0, 19)} UTC
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration_${id} extends Migration {
  override async up(): Promise<void> {
${up}
  }

  override async down(): Promise<void> {
    this.addSql(\`drop table if exists "${tableName(i)}" cascade;\`);
  }
}
`;
}

/** Entities per module folder (src/modules/mNN/models.ts), as a real backend splits them. */
const ENTITIES_PER_MODULE = 10;

function moduleName(m: number): string {
  return `m${String(m).padStart(2, '0')}`;
}

/**
 * Entity definitions for the first `count` tables, `ENTITIES_PER_MODULE` to a models.ts.
 * With `changedColumn`, entity 1's `name` is 255 characters instead of 200: one changed column.
 */
export function modelFiles(count: number, changedColumn: boolean, salt = ''): Map<string, string> {
  const files = new Map<string, string>();
  for (let m = 1; (m - 1) * ENTITIES_PER_MODULE < count; m++) {
    // The salt changes the file (so Nx's cache misses) without changing the schema.
    const lines = [`import { defineEntity, p } from '@mikro-orm/core';`, ...(salt && m === 1 ? [`// bench ${salt}`] : []), ''];
    for (let i = (m - 1) * ENTITIES_PER_MODULE + 1; i <= Math.min(count, m * ENTITIES_PER_MODULE); i++) {
      const nameLength = changedColumn && i === 1 ? 255 : 200;
      lines.push(
        `export const Bench${i} = defineEntity({`,
        `  name: 'Bench${i}',`,
        `  tableName: '${tableName(i)}',`,
        `  properties: {`,
        `    id: p.integer().primary().autoincrement(),`,
        `    name: p.string().length(${nameLength}).index('${tableName(i)}_name_index'),`,
        `    amountCents: p.integer().default(0),`,
        `    note: p.text().nullable(),`,
        `    createdAt: p.datetime().defaultRaw('now()'),`,
        `  },`,
        `});`,
        '',
      );
    }
    files.set(moduleName(m), lines.join('\n'));
  }
  return files;
}

/** The registry `generate` writes; written here too so a project works before its first generate. */
function registryFile(count: number): string {
  const modules = modelFiles(count, false);
  const imports = [...modules.keys()].map((m, k) => {
    const names = Array.from({ length: Math.min(ENTITIES_PER_MODULE, count - k * ENTITIES_PER_MODULE) }, (_, j) => `Bench${k * ENTITIES_PER_MODULE + j + 1}`);
    return `import { ${names.join(', ')} } from '../modules/${m}/models';`;
  });
  const all = Array.from({ length: count }, (_, i) => `Bench${i + 1}`);
  return [`// Written by tools/bench; \`veloiq generate\` rewrites it.`, ...imports, '', `export const entities = [${all.join(', ')}];`, ''].join('\n');
}

export interface ScratchProject {
  workspace: BenchWorkspace;
  /** Nx project name. */
  name: string;
  root: string;
  backend: string;
  migrations: string;
  /** SQL of every revision, in order, as one psql script. */
  sqlFile: string;
  /** The same, each revision in its own BEGIN/COMMIT (as --transaction-per-migration runs it). */
  perRevisionSqlFile: string;
  revisions: number;
  /** Rewrites the entities, e.g. with one changed column; a new salt makes Nx's cache miss. */
  writeEntities(count: number, changedColumn: boolean, salt?: string): void;
  remove(): void;
}

/**
 * Writes a scratch Nx project with `revisions` generated revision files and `entities` entities.
 * Targets: the db executors, a `noop` (nx:noop) for the bare cost of `nx run`.
 */
export function createScratchProject(workspace: BenchWorkspace, name: string, revisions: number, entities = 20, salt = ''): ScratchProject {
  const root = join(workspace.projects, name);
  rmSync(root, { recursive: true, force: true });
  const backend = join(root, 'backend');
  const migrations = join(backend, 'migrations');
  mkdirSync(migrations, { recursive: true });
  const rel = relative(workspace.root, root);
  const executor = (sub: string) => ({ executor: `@veloiq/db:${sub}` });
  writeFileSync(
    join(root, 'project.json'),
    JSON.stringify(
      {
        name,
        $schema: relative(root, join(workspace.root, 'node_modules/nx/schemas/project-schema.json')),
        root: rel,
        projectType: 'application',
        tags: ['bench-scratch'],
        targets: {
          noop: { executor: 'nx:noop' },
          'db-upgrade': executor('upgrade'),
          'db-current': executor('current'),
          'db-history': executor('history'),
        },
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(backend, 'mikro-orm.config.ts'),
    `import { defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './src/generated/entities';

export default defineConfig({
  entities,
  clientUrl: process.env.DATABASE_URL,
  baseDir: __dirname,
  migrations: { path: './migrations', snapshot: false, silent: true },
  extensions: [Migrator],
});
`,
  );
  const writeEntities = (count: number, changedColumn: boolean, salt?: string) => {
    for (const [module, text] of modelFiles(count, changedColumn, salt)) {
      mkdirSync(join(backend, 'src/modules', module), { recursive: true });
      writeFileSync(join(backend, 'src/modules', module, 'models.ts'), text);
    }
  };
  writeEntities(entities, false, salt);
  mkdirSync(join(backend, 'src/generated'), { recursive: true });
  writeFileSync(join(backend, 'src/generated/entities.ts'), registryFile(entities));
  const sql: string[] = [];
  const perRevision: string[] = [];
  for (let i = 1; i <= revisions; i++) {
    writeFileSync(join(migrations, `${revisionId(i)}_create_${tableName(i)}_table.ts`), revisionFile(i));
    sql.push(...revisionSql(i));
    perRevision.push('begin;', ...revisionSql(i), 'commit;');
  }
  const sqlFile = join(root, 'all.sql');
  writeFileSync(sqlFile, sql.join('\n') + '\n');
  const perRevisionSqlFile = join(root, 'per-revision.sql');
  writeFileSync(perRevisionSqlFile, perRevision.join('\n') + '\n');
  return { workspace, name, root, backend, migrations, sqlFile, perRevisionSqlFile, revisions, writeEntities, remove: () => rmSync(root, { recursive: true, force: true }) };
}
