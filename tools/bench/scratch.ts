// Throwaway projects and databases for the benchmarks. A scratch project lives under
// tools/bench/.scratch/<name> (git-ignored, but un-ignored for Nx by .nxignore so `nx run` sees
// it) and looks like a real VeloIQ backend: project.json with the db targets, a MikroORM config
// reading DATABASE_URL, entities, and generated revision files.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Client } from 'pg';

export const WORKSPACE = resolve(__dirname, '../..');
export const SCRATCH = join(__dirname, '.scratch');
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

/** A fresh, empty database on the system PostgreSQL. */
export async function createDatabase(label: string): Promise<BenchDatabase> {
  const name = `vqbench_${label}_${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
  await adminQuery(SYSTEM_PG, `create database "${name}"`);
  const url = SYSTEM_PG.replace(/\/[^/]*$/, `/${name}`);
  return { name, url, drop: async () => void (await adminQuery(SYSTEM_PG, `drop database if exists "${name}" with (force)`)) };
}

/** Drops databases a killed run left behind. */
export async function dropLeftovers(): Promise<void> {
  const rows = await adminQuery(SYSTEM_PG, `select datname from pg_database where datname like 'vqbench\\_%'`);
  for (const { datname } of rows) await adminQuery(SYSTEM_PG, `drop database if exists "${datname}" with (force)`);
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

function revisionFile(i: number): string {
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
function modelFiles(count: number, changedColumn: boolean, salt = ''): Map<string, string> {
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
export function createScratchProject(name: string, revisions: number, entities = 20, salt = ''): ScratchProject {
  const root = join(SCRATCH, name);
  rmSync(root, { recursive: true, force: true });
  const backend = join(root, 'backend');
  const migrations = join(backend, 'migrations');
  mkdirSync(migrations, { recursive: true });
  const rel = relative(WORKSPACE, root);
  const executor = (sub: string) => ({ executor: `@veloiq/db:${sub}` });
  writeFileSync(
    join(root, 'project.json'),
    JSON.stringify(
      {
        name,
        $schema: relative(root, join(WORKSPACE, 'node_modules/nx/schemas/project-schema.json')),
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
  return { name, root, backend, migrations, sqlFile, perRevisionSqlFile, revisions, writeEntities, remove: () => rmSync(root, { recursive: true, force: true }) };
}
