import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse } from 'dotenv';
import { UserError, rememberSecret } from './errors';

export const DEFAULT_ENV_FILE = '.env';

export interface EnvFileOptions {
  /** The file the user named, or undefined for the default `.env`. */
  envFile?: string;
  /** The directory the user ran the command from. */
  cwd: string;
  /** The project's directory that holds the MikroORM config (the `backend/` when there is one). */
  backendDir: string;
}

/** Where an env file is looked for: the path as given, then under the project's `backend/`. */
export function envFileCandidates({ envFile = DEFAULT_ENV_FILE, cwd, backendDir }: EnvFileOptions): string[] {
  const given = resolve(cwd, envFile);
  if (isAbsolute(envFile)) return [given];
  return [...new Set([given, join(backendDir, envFile)])];
}

/**
 * Loads the env file into process.env, keeping variables already set (they win over the
 * file). Returns the path loaded, or undefined when the default `.env` does not exist; a file
 * the user named that does not exist is an error listing the places looked.
 */
export function loadEnvFile(options: EnvFileOptions): string | undefined {
  const candidates = envFileCandidates(options);
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    if (options.envFile === undefined || options.envFile === DEFAULT_ENV_FILE) return undefined;
    const looked = candidates.map((path) => relative(options.cwd, path) || path).join(', ');
    throw new UserError(`Env file '${options.envFile}' not found (looked at ${looked}). Check the --env-file path.`);
  }
  const values = parse(readFileSync(found));
  for (const [key, value] of Object.entries(values)) {
    rememberSecret(value);
    if (process.env[key] === undefined) process.env[key] = value;
  }
  return found;
}
