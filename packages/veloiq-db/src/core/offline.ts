import { basename } from 'node:path';
import { MikroORM, type Transaction } from '@mikro-orm/core';
import { UserError } from './errors';
import { asGiven, invalidConfig, loadConfig, migrationsDirOf, namesServer, recordTableOf, type Database } from './orm';
import type { Project } from './project';

/**
 * Offline `--sql` mode, as Alembic does it: the command runs its ordinary code path against a
 * connection that writes each statement into a script instead of sending it, so the script is
 * exactly what the online command would run (migration SQL and the bookkeeping statements that
 * record revisions, in order). Nothing connects to a database. The commands' side (ranges
 * `from:to`, the result) is commands/sql.ts.
 */

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

/**
 * The project's MikroORM set up without a connection, whose connection records what it is asked
 * to execute into `script`. Reads answer with no rows; the commands do not read in this mode.
 */
export async function openOffline(project: Project, script: Pick<SqlScript, 'statement' | 'gap'>): Promise<Database> {
  const config = await loadConfig(project);
  const baseDir = config.baseDir ?? project.backendDir;
  let orm: MikroORM;
  try {
    orm = await asGiven(() =>
      MikroORM.init({
        ...config,
        // A config that relies on the embedded server names no database; any name does offline.
        dbName: namesServer(config, project) ? config.dbName : (config.dbName ?? basename(project.root)),
        baseDir,
        connect: false,
        ensureDatabase: false,
        debug: false,
        allowGlobalContext: true,
      }),
    );
  } catch (error) {
    throw invalidConfig(project, error);
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
    recordTable: recordTableOf(config),
    offline: true,
    config,
    close: () => orm.close(true),
  };
}
