import { loadEnvFile } from './env';
import { openDatabase, type Database } from './orm';
import { findProject, type Project } from './project';
import { listRevisions, positionOf, type Position } from './revisions';
import { appliedNames } from './record';

/** What every db command is told: where it runs and which env file to load. */
export interface CommandOptions {
  /** The project's root directory (absolute). */
  projectRoot: string;
  /** The directory the user ran the command from; `--env-file` is relative to it. */
  cwd: string;
  envFile?: string;
}

/** Finds the project and loads its env file: the first steps of every command. */
export function prepare(options: CommandOptions): Project {
  const project = findProject(options.projectRoot);
  loadEnvFile({ envFile: options.envFile, cwd: options.cwd, backendDir: project.backendDir });
  return project;
}

/** Runs `work` with the project's database open, and always closes it. */
export async function withDatabase<T>(options: CommandOptions, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(prepare(options));
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/** Where the database stands: the revision files against the record of applied ones. */
export async function readPosition(db: Database): Promise<Position> {
  return positionOf(listRevisions(db.migrationsDir), await appliedNames(db));
}
