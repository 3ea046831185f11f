import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse } from 'dotenv';
import { UserError, rememberEnvValue, rememberEnvironmentSecrets } from './errors';

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

/** dotenv's own line grammar (dotenv/lib/main.js), to find the lines it would silently skip. */
const LINE = /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;

/**
 * Refuses an env file with a line dotenv would skip or misread: a line that is not KEY=value
 * (`DATABASE_URL postgres://...` would silently fall back to another database) or a quote that
 * never closes. The message gives the line number, never the text: it may hold a secret.
 */
function checkSyntax(raw: string, shown: string): void {
  const text = raw.replace(/\r\n?/g, '\n');
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  for (const match of text.matchAll(LINE)) {
    const value = match[2]?.trim() ?? '';
    const quote = value[0];
    if (quote && `'"\``.includes(quote) && (value.length === 1 || value.at(-1) !== quote)) {
      throw new UserError(
        `Env file '${shown}' line ${lineOf(match.index! + match[0].indexOf(value))}: a ${quote} quote opens and never closes (the text is not shown: it may hold a secret). Close the quote.`,
      );
    }
  }
  // Blank out what dotenv understands, keeping line breaks so the line numbers stay right.
  const rest = text.replace(LINE, (m) => m.replace(/[^\n]/g, ' ')).split('\n');
  const bad = rest.findIndex((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  if (bad !== -1) {
    throw new UserError(
      `Env file '${shown}' line ${bad + 1} is not KEY=value (the text is not shown: it may hold a secret). Fix the line, or comment it out with #.`,
    );
  }
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
  const shown = relative(options.cwd, found) || found;
  if (statSync(found).isDirectory()) {
    throw new UserError(
      `Env file '${options.envFile ?? DEFAULT_ENV_FILE}' is a folder (${shown}), not a file. Give --env-file the path of a file of KEY=value lines.`,
    );
  }
  const text = readFileSync(found, 'utf8');
  checkSyntax(text, shown);
  const values = parse(text);
  rememberEnvironmentSecrets(values);
  for (const [key, value] of Object.entries(values)) {
    rememberEnvValue(value);
    if (process.env[key] === undefined) process.env[key] = value;
  }
  return found;
}
