// Fixtures for the safety tests (lock, kill, secrets, bad inputs): revisions written into a
// copied sample, the engine run as a child process, and snapshots of a database and a folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { adminQuery, run, type RunResult, type TestDatabase } from './support';

const PACKAGE = join(__dirname, '..');

/** Writes a revision file (id sorts after the sample's) whose up() runs `up` and down() runs `down`. */
export function writeRevision(
  migrationsDir: string,
  id: string,
  slug: string,
  up: string[],
  options: { down?: string[]; transactional?: boolean; body?: string } = {},
): string {
  const lines = (sql: string[]) => sql.map((s) => `    this.addSql(${JSON.stringify(s)});`).join('\n');
  const path = join(migrationsDir, `${id}_${slug}.ts`);
  writeFileSync(
    path,
    `/**
 * ${slug.replace(/_/g, ' ')}
 *
 * Revision: ${id}
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration_${id} extends Migration {
${options.transactional === false ? '  override isTransactional(): boolean {\n    return false;\n  }\n\n' : ''}  override async up(): Promise<void> {
${options.body ?? lines(up)}
  }

  override async down(): Promise<void> {
${lines(options.down ?? [])}
  }
}
`,
  );
  return path;
}

/** Runs test/run-command.ts (the engine, no Nx) as its own process. */
export function engineArgs(command: string, projectRoot: string, options: object = {}): string[] {
  return ['--require', 'tsx/cjs', join(PACKAGE, 'test/run-command.ts'), command, projectRoot, JSON.stringify(options)];
}

export function runEngine(command: string, projectRoot: string, options: object = {}, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return run(process.execPath, engineArgs(command, projectRoot, options), { cwd: projectRoot, env });
}

/** The same, started in the background: the test watches and ends it. */
export function startEngine(command: string, projectRoot: string, options: object = {}, env: NodeJS.ProcessEnv = {}) {
  const child: ChildProcess = spawn(process.execPath, engineArgs(command, projectRoot, options), {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (output.stdout += d));
  child.stderr!.on('data', (d) => (output.stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output, exited };
}

/** Polls `check` until it holds (every 100 ms, for at most `limitMs`). */
export async function until(check: () => Promise<boolean> | boolean, what: string, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Everything a command could change in a database: schemas' tables, columns and the record rows. */
export async function snapshotDatabase(db: TestDatabase): Promise<string> {
  const columns = await db.query(
    `select table_schema, table_name, column_name, data_type from information_schema.columns
      where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2, 3`,
  );
  const indexes = await db.query(`select schemaname, indexname from pg_indexes where schemaname not in ('pg_catalog') order by 1, 2`);
  const [{ exists }] = await db.query<{ exists: boolean }>(`select to_regclass('public.mikro_orm_migrations') is not null as exists`);
  const record = exists ? await db.query('select * from mikro_orm_migrations order by id') : [];
  return JSON.stringify({ columns, indexes, record });
}

/** Every file under a folder (not node_modules, not .veloiq/) with a hash of its content. */
export function snapshotFiles(root: string): string {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      // .veloiq/ is the tool's git-ignored machine-local state (caches such as the remembered
      // config facts), not the user's files.
      if (name === 'node_modules' || name === '.veloiq') continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(`${relative(root, path)} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
    }
  };
  walk(root);
  return out.join('\n');
}

/** Backends connected to a database, other than the one asking. */
export async function otherBackends(adminUrl: string, database: string): Promise<number> {
  const [{ n }] = await adminQuery<{ n: number }>(adminUrl, 'select count(*)::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [
    database,
  ]);
  return n;
}
