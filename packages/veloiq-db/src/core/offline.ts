import { basename } from 'node:path';
import { MikroORM, type Transaction } from '@mikro-orm/core';
import { UserError } from './errors';
import { loadConfig, migrationsDirOf, type Database } from './orm';
import { listRevisions, positionAt, resolveRevision, standingOf, type Position } from './revisions';
import { prepare, type CommandOptions } from './session';

/**
 * Offline `--sql` mode, as Alembic does it: the command runs its ordinary code path against a
 * connection that writes each statement into a script instead of sending it, so the script is
 * exactly what the online command would run (migration SQL and the bookkeeping statements that
 * record revisions, in order). Nothing connects to a database.
 */

export type SqlCommand = 'upgrade' | 'downgrade' | 'stamp';

export interface SqlResult {
  kind: 'sql';
  command: SqlCommand;
  /** Where the script assumes the database starts (id, null for base). */
  from: string | null;
  /** Where the script leaves it. */
  to: string | null;
  /** The SQL script: statements end with `;`, comments name each revision. */
  sql: string;
}

/** Collects statements and the comments that say which revision they belong to. */
export class SqlScript {
  private readonly lines: string[] = [];
  /** How many statements were written. */
  statements = 0;

  comment(text: string): void {
    this.gap();
    this.lines.push(...text.split('\n').map((line) => `-- ${line}`));
  }

  /** An empty line between sections. */
  gap(): void {
    if (this.lines.length > 0 && this.lines.at(-1) !== '') this.lines.push('');
  }

  statement(sql: string): void {
    const text = sql.trim().replace(/;\s*$/, '');
    if (!text) return;
    this.lines.push(`${text};`);
    this.statements += 1;
  }

  toString(): string {
    return this.lines.join('\n');
  }
}

type Query = string | { toSQL(): { sql: string; bindings?: readonly unknown[] } };

/** The record table as `openDatabase` computes it, so offline scripts name the same table. */
function recordTableOf(config: { schema?: string; migrations?: { tableName?: string } }): Database['recordTable'] {
  const tableName = config.migrations?.tableName ?? 'mikro_orm_migrations';
  if (tableName.includes('.')) {
    const [schema, table] = tableName.split('.');
    return { schema, table };
  }
  return { schema: config.schema ?? 'public', table: tableName };
}

/**
 * The project's MikroORM set up without a connection, whose connection records what it is asked
 * to execute into `script`. Reads answer with no rows; the commands do not read in this mode.
 */
async function openOffline(options: CommandOptions, script: SqlScript): Promise<Database> {
  const project = prepare(options);
  const config = await loadConfig(project);
  const baseDir = config.baseDir ?? project.backendDir;
  let orm: MikroORM;
  try {
    orm = await MikroORM.init({
      ...config,
      // A config that relies on the embedded server names no database; any name does offline.
      dbName: config.clientUrl || config.host ? config.dbName : (config.dbName ?? basename(project.root)),
      baseDir,
      connect: false,
      ensureDatabase: false,
      debug: false,
      allowGlobalContext: true,
    });
  } catch (error) {
    throw new UserError(`Invalid MikroORM config in ${project.configPath}: ${String((error as Error).message).split('\n')[0]}`);
  }
  const platform = orm.em.getPlatform();
  const connection = orm.em.getConnection() as unknown as {
    execute(query: Query, params?: unknown[]): Promise<unknown>;
    transactional<T>(cb: (ctx: Transaction) => Promise<T>): Promise<T>;
    connect(): Promise<void>;
  };
  connection.execute = async (query, params = []) => {
    if (typeof query === 'string') {
      script.statement(platform.formatQuery(query, params as unknown[]));
    } else {
      const { sql, bindings } = query.toSQL();
      script.statement(platform.formatQuery(sql, [...(bindings ?? [])]));
    }
    return [];
  };
  connection.transactional = async (cb) => {
    script.statement('BEGIN');
    const result = await cb({} as Transaction);
    script.gap();
    script.statement('COMMIT');
    return result;
  };
  connection.connect = async () => {
    throw new UserError('This revision needs a live database, so it cannot be written out with --sql. Run the command without --sql.');
  };
  return {
    orm,
    project,
    migrationsDir: migrationsDirOf(config, project),
    recordTable: recordTableOf(config as { schema?: string; migrations?: { tableName?: string } }),
    offline: true,
    close: () => orm.close(true),
  };
}

export interface OfflineRun {
  db: Database;
  script: SqlScript;
  /** The database as the script assumes it starts. */
  position: Position;
  /** The part of the revision argument after `from:`; undefined when none was given. */
  target: string | undefined;
}

/**
 * Runs `work` offline and returns the script it produced. Offline there is no database to ask
 * where it stands, so, as with Alembic, the revision argument may be a range `from:to`; without
 * one the script starts from `defaultFrom` (base for upgrade and stamp, head for downgrade).
 * `work` returns the names the record holds afterwards.
 */
export async function offlineScript(
  command: SqlCommand,
  options: CommandOptions & { revision?: string | number },
  defaultFrom: 'base' | 'head',
  work: (run: OfflineRun) => Promise<Iterable<string>>,
): Promise<SqlResult> {
  const script = new SqlScript();
  const db = await openOffline(options, script);
  try {
    const revisions = listRevisions(db.migrationsDir);
    const spec = options.revision === undefined ? undefined : String(options.revision).trim();
    const colon = spec?.indexOf(':') ?? -1;
    const fromSpec = colon === -1 ? '' : spec!.slice(0, colon).trim();
    const target = colon === -1 ? spec : spec!.slice(colon + 1).trim() || undefined;
    const all = positionAt(revisions, { revisions, spec: 'heads' });
    const start = defaultFrom === 'head' ? all : positionAt(revisions, { revisions: [], spec: 'base' });
    const position = fromSpec ? positionAt(revisions, resolveRevision(fromSpec, start)) : start;
    const fromId = standingOf(position).current;
    script.comment(
      `veloiq db ${command} --sql: offline script, nothing was run.\n` +
        `Assumes the database is at ${fromId ?? 'base'}${colon === -1 ? ` (give <from>:<to> to start elsewhere)` : ''}.`,
    );
    const to = standingOf(position, await work({ db, script, position, target })).current;
    if (script.statements === 0) script.comment(`Nothing to run: the database would already be at ${to ?? 'base'}.`);
    return { kind: 'sql', command, from: fromId, to, sql: script.toString() };
  } finally {
    await db.close();
  }
}
