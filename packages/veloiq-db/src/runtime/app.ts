import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { UserError, redact } from '../core/errors';
import { acquireLock } from '../core/lock';
import { loadConfig, openDatabase, type Database } from '../core/orm';
import { projectRootOf } from '../core/project';
import { listRevisions } from '../core/revisions';
import { prepare } from '../commands/session';
import { managedByMigrations, staleSchemaProblem } from './guard';
import { createMissingSchema, type CreatedSchema } from './schema';

export interface VeloiqAppConfig {
  /**
   * Create the tables and columns the entities need that are missing, on startup (default
   * true). Nothing that exists is dropped or altered. Turn it off once migrations own the
   * schema; then the app checks instead that the database is at head.
   */
  createTablesOnStartup?: boolean;
  /**
   * With `createTablesOnStartup: false`, what a database behind its migrations (or without a
   * migration record) does to startup: `'refuse'` (default) throws a one-line error naming
   * `veloiq db upgrade`; `'warn'` logs the same line and starts.
   */
  staleSchema?: 'refuse' | 'warn';
  /** The project's root (the folder holding `backend/`); default: found from the working directory. */
  projectRoot?: string;
  /** The env file to load, searched like `veloiq db --env-file` (default `.env`); variables already set win. */
  envFile?: string;
  /** Where warnings go (default `console.warn`). */
  warn?: (line: string) => void;
}

export interface StartupReport {
  /** Tables and `table.column`s created on startup (always empty with `createTablesOnStartup: false`). */
  created: CreatedSchema;
  /** Warnings logged during startup. */
  warnings: string[];
  /** The server and database the app uses, without the password. */
  database: string;
}

export interface VeloiqApp {
  orm: MikroORM<PostgreSqlDriver>;
  /** A fresh EntityManager for one unit of work (one request). */
  em(): EntityManager;
  startup: StartupReport;
  /** Closes the ORM, and stops the embedded PostgreSQL when no other process uses it. */
  close(): Promise<void>;
}

function whereOf(orm: MikroORM): string {
  const url = orm.config.get('clientUrl');
  const dbName = orm.config.get('dbName');
  try {
    const { hostname, port } = new URL(url ?? '');
    return `${hostname}:${port || 5432}/${dbName}`;
  } catch {
    return redact(String(dbName ?? 'the configured database'));
  }
}

/**
 * Opens the project's database the way `veloiq db` does (same config, same env file, same
 * DATABASE_URL-or-embedded rule), then prepares its schema for the app: creates what is missing,
 * or, when migrations own the schema, refuses to start on a database behind its migrations.
 */
export async function createVeloiqApp(config: VeloiqAppConfig = {}): Promise<VeloiqApp> {
  const createTables = config.createTablesOnStartup ?? true;
  const staleSchema = config.staleSchema ?? 'refuse';
  if (staleSchema !== 'refuse' && staleSchema !== 'warn') {
    throw new UserError(`Invalid staleSchema '${String(staleSchema)}': use 'refuse' or 'warn'.`);
  }
  const warnings: string[] = [];
  const warn = (line: string) => {
    warnings.push(line);
    (config.warn ?? console.warn)(`warning: ${line}`);
  };

  const cwd = process.cwd();
  const project = prepare({ projectRoot: config.projectRoot ?? projectRootOf(cwd), cwd, envFile: config.envFile });
  const db: Database = await openDatabase(project);
  try {
    // The commands run with a quiet, global-context ORM; an app keeps its config's own choices.
    const own = await loadConfig(project);
    db.orm.config.set('allowGlobalContext', own.allowGlobalContext ?? false);
    if (own.debug) db.orm.config.getLogger().setDebugMode(own.debug);

    // The migration lock, as `veloiq db upgrade` takes it: an app starting during an upgrade
    // waits for it, then checks (or completes) the schema the upgrade left.
    const lock = await acquireLock(db, { command: 'app startup', notify: config.warn ?? console.warn });
    let created: CreatedSchema = { tables: [], columns: [] };
    try {
      const managed = createTables && (await managedByMigrations(db));
      const behind = managed ? await staleSchemaProblem(db) : undefined;
      if (behind) {
        // What the pending revisions create, the app must not create first: their upgrade
        // would then fail on tables and columns that already exist.
        warn(`createTablesOnStartup created nothing: ${behind}`);
      } else if (createTables) {
        created = await createMissingSchema(db.orm);
        const what = [...created.tables, ...created.columns];
        if (managed && what.length > 0) {
          warn(
            `createTablesOnStartup created ${what.join(', ')} in a database whose schema is owned by migrations; ` +
              `'veloiq db migrate' will not see this change. Set createTablesOnStartup: false and write migrations instead.`,
          );
        } else if (!managed && created.tables.length > 0 && listRevisions(db.migrationsDir).length > 0) {
          warn(
            `createTablesOnStartup created ${created.tables.join(', ')} in a database with no migration record; to hand it to migrations later, ` +
              `run 'veloiq db stamp' (not 'veloiq db upgrade', whose revisions would create them again) and set createTablesOnStartup: false.`,
          );
        }
      } else {
        const problem = await staleSchemaProblem(db);
        if (problem && staleSchema === 'refuse') throw new UserError(`Not starting: ${problem}`);
        if (problem) warn(`starting anyway: ${problem}`);
      }
    } finally {
      await lock.release();
    }

    const orm = db.orm as unknown as MikroORM<PostgreSqlDriver>;
    let closed: Promise<void> | undefined;
    return {
      orm,
      em: () => orm.em.fork(),
      startup: { created, warnings, database: whereOf(db.orm) },
      close: () => (closed ??= db.close()),
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
