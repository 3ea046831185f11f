import { driverMessage, isConnectionLost } from './driver-errors';
import { loadEnvFile } from './env';
import { UserError, redact, rememberEnvironmentSecrets } from './errors';
import { acquireLock, parseLockTimeout } from './lock';
import { openDatabase, type Database } from './orm';
import { findProject, type Project } from './project';
import { listRevisions, positionOf, type Position } from './revisions';
import { appliedNames, appliedRecords, driftOf, driftWarnings } from './record';

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
}

export interface SessionOptions {
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
  loadEnvFile({ envFile: options.envFile, cwd: options.cwd, backendDir: project.backendDir });
  // Before the config loads: a config that throws, or a driver error, must not print them.
  rememberEnvironmentSecrets();
  return project;
}

/**
 * Runs `work` with the project's database open, and always closes it. With `{ lock }`, `work`
 * runs only once this run holds the migration lock, so whatever it reads (`readPosition`) is
 * what the previous run left: read the state inside `work`, never before.
 */
export async function withDatabase<T>(
  options: CommandOptions,
  work: (db: Database) => Promise<T>,
  session: SessionOptions = {},
): Promise<T> {
  const timeoutSeconds = session.lock ? parseLockTimeout(options.lockTimeout) : 0;
  const db = await openDatabase(prepare(options));
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
    // The runner says what a lost connection left of an upgrade; anywhere else, nothing had
    // been committed that the server did not roll back.
    if (error instanceof UserError || !isConnectionLost(error)) throw error;
    throw new UserError(
      `The connection to PostgreSQL was lost (${driverMessage(error)}); what this command had not committed was rolled back. Run it again once the server answers.`,
    );
  } finally {
    await db.close().catch(() => undefined);
  }
}

/**
 * Where the database stands: the revision files against the record of applied ones. Given
 * `warn` (current, history, upgrade pass `notifier(options)`), it also warns, naming them, about
 * applied revisions whose files were edited or deleted since.
 */
export async function readPosition(db: Database, warn?: (line: string) => void): Promise<Position> {
  const revisions = listRevisions(db.migrationsDir);
  if (warn) {
    const records = await appliedRecords(db);
    for (const line of driftWarnings(await driftOf(db, revisions, records))) warn(line);
    return positionOf(revisions, records.map((r) => r.name));
  }
  return positionOf(revisions, await appliedNames(db));
}
