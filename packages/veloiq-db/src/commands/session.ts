import type { Options } from '@mikro-orm/core';
import { loadEnvFile } from '../core/env';
import { driverMessage, isConnectionLost, redact, rememberEnvironmentSecrets, UserError } from '../core/errors';
import { acquireLock, parseLockTimeout } from '../core/lock';
import { readOnlyConfig } from '../core/config-facts';
import { openDatabase, openReadOnly, type Database, type RecordSource } from '../core/orm';
import { findProject, type Project } from '../core/project';
import { listRevisions, positionOf, type Position } from '../core/revisions';
import { appliedNames, appliedRecords, driftOf, driftWarnings } from '../core/record';

/** What every db command is told: where it runs and which env file to load. */
export interface CommandOptions {
  /** The project's root directory (absolute). */
  projectRoot: string;
  /** The directory the user ran the command from; `--env-file` is relative to it. */
  cwd: string;
  envFile?: string;
  /** Seconds to wait for another run's migration lock (`--lock-timeout`, default 60). */
  lockTimeout?: number | string;
  /** Where progress lines (waiting for the lock, warnings) go; stderr by default. */
  notify?: (line: string) => void;
  /**
   * Variables this command runs with, over the process's own (a test's DATABASE_URL). The
   * user's MikroORM config reads process.env while it loads, and the env file fills what is
   * unset there, so these are set in process.env for the command's duration (winning over the
   * env file, as any variable already set does) and put back as they were when it ends.
   */
  env?: Record<string, string | undefined>;
}

/** Runs `work` with `env` in process.env, restoring those variables afterwards (see CommandOptions.env). */
export async function withEnvironment<T>(env: CommandOptions['env'], work: () => Promise<T>): Promise<T> {
  if (!env) return work();
  const set = (key: string, value: string | undefined) => (value === undefined ? delete process.env[key] : (process.env[key] = value));
  const saved = Object.keys(env).map((key) => [key, process.env[key]] as const);
  for (const [key, value] of Object.entries(env)) set(key, value);
  try {
    return await work();
  } finally {
    for (const [key, value] of saved) set(key, value);
  }
}

export interface SessionOptions {
  /** The project and its config when the command has already loaded them: loaded once per command. */
  project?: Project;
  config?: Options;
  /**
   * Take the migration lock before `work` runs, and hold it until the command ends. Every
   * command that changes the database or the record takes it: pass the command's name
   * (`'upgrade'`, `'downgrade'`...), which whoever waits for the lock is shown.
   */
  lock?: string | boolean;
}

/** The default progress channel: one redacted line on stderr, so `--json` stdout stays clean. */
export function notifier(options: CommandOptions): (line: string) => void {
  return options.notify ?? ((line) => process.stderr.write(redact(line) + '\n'));
}

/** Finds the project and loads its env file: the first steps of every command. */
export function prepare(options: CommandOptions): Project {
  const project = findProject(options.projectRoot);
  loadEnvFile({ envFile: options.envFile, cwd: options.cwd, backendDir: project.backendDir, projectRoot: project.root });
  // Before the config loads: a config that throws, or a driver error, must not print them.
  rememberEnvironmentSecrets();
  return project;
}

/**
 * Runs `work` with the project's database open, and always closes it. With `{ lock }`, `work`
 * runs only once this run holds the migration lock, so whatever it reads (`readPosition`) is
 * what the previous run left: read the state inside `work`, never before.
 */
export function withDatabase<T>(options: CommandOptions, work: (db: Database) => Promise<T>, session: SessionOptions = {}): Promise<T> {
  return withEnvironment(options.env, async () => {
    const timeoutSeconds = session.lock ? parseLockTimeout(options.lockTimeout) : 0;
    // A command that changes the database may create it; one that reads it says it is missing.
    const db = await openDatabase(session.project ?? prepare(options), session.config, session.lock ? notifier(options) : undefined);
    try {
      if (!session.lock) return await work(db);
      const command = typeof session.lock === 'string' ? session.lock : undefined;
      const lock = await acquireLock(db, { timeoutSeconds, command, notify: notifier(options) });
      try {
        return await work(db);
      } finally {
        await lock.release();
      }
    } catch (error) {
      throw lostConnection(error);
    } finally {
      await db.close().catch(() => undefined);
    }
  });
}

/**
 * A connection lost while a command ran, as one line. The runner says what a lost connection
 * left of an upgrade; anywhere else, nothing had been committed that the server did not roll back.
 */
function lostConnection(error: unknown): unknown {
  if (error instanceof UserError || !isConnectionLost(error)) return error;
  return new UserError(
    `The connection to PostgreSQL was lost (${driverMessage(error)}); what this command had not committed was rolled back. Run it again once the server answers.`,
    { cause: error },
  );
}

/**
 * Runs `work` with the database open to read the record only (current, history): over plain pg
 * with the config's remembered facts when nothing they came from changed (core/config-facts.ts),
 * through MikroORM when the config needs it (driverOptions, MIKRO_ORM_ variables...).
 */
export function withReadOnlyDatabase<T>(options: CommandOptions, work: (db: RecordSource) => Promise<T>): Promise<T> {
  return withEnvironment(options.env, async () => {
    const project = prepare(options);
    const { config, plain } = await readOnlyConfig(project);
    if (!plain) return withDatabase(options, work, { project, config });
    const db = await openReadOnly(project, config);
    try {
      return await work(db);
    } catch (error) {
      throw lostConnection(error);
    } finally {
      await db.close();
    }
  });
}

/**
 * Where the database stands: the revision files against the record of applied ones. Given
 * `warn` (current, history, upgrade pass `notifier(options)`), it also warns, naming them, about
 * applied revisions whose files were edited or deleted since.
 */
export async function readPosition(db: RecordSource, warn?: (line: string) => void): Promise<Position> {
  const revisions = listRevisions(db.migrationsDir);
  if (warn) {
    const records = await appliedRecords(db);
    for (const line of driftWarnings(await driftOf(db, revisions, records))) warn(line);
    return positionOf(
      revisions,
      records.map((r) => r.name),
    );
  }
  return positionOf(revisions, await appliedNames(db));
}
