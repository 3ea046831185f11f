import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse } from 'dotenv';
import { UserError, rememberEnvValue, rememberEnvironmentSecrets } from './errors';
import { workspaceRootOf } from './paths';

export const DEFAULT_ENV_FILE = '.env';

export interface EnvFileOptions {
  /** The file the user named, or undefined for the default `.env`. */
  envFile?: string;
  /** The directory the user ran the command from. */
  cwd: string;
  /** The project's directory that holds the MikroORM config (the `backend/` when there is one). */
  backendDir: string;
  /**
   * The project's root (absolute): its own `.env` is looked for there too, and the Nx workspace
   * it is in (nearest nx.json above) may add one of its own. Without it, only the paths above.
   */
  projectRoot?: string;
}

/** The default `.env` the user did not name (or named as `.env`): the one the workspace may add to. */
const isDefault = (envFile: string | undefined) => envFile === undefined || envFile === DEFAULT_ENV_FILE;

/**
 * Whether the workspace's own `.env` (beside nx.json, `root`) is read after the project's: for
 * the default `.env` only, as a file named with --env-file (`.env.production`) is the whole
 * environment the user chose, and mixing in the workspace's development values there could point
 * a command at the wrong server. Not outside a workspace, nor when its root is the project's own.
 */
function readsWorkspaceFile({ envFile, projectRoot }: EnvFileOptions, root: string | undefined): boolean {
  return isDefault(envFile) && projectRoot !== undefined && root !== undefined && resolve(root) !== resolve(projectRoot);
}

/**
 * Where the project's env file is looked for: the path as given, then under the project's
 * `backend/`, then (the default `.env`) at the project root. The workspace's `.env` is not the
 * project's, even when the command runs from the workspace root (`nx run` from there): it is read
 * after the project's, which wins.
 */
function envFileCandidates(options: EnvFileOptions, workspaceFile: string | undefined): string[] {
  const { envFile = DEFAULT_ENV_FILE, cwd, backendDir, projectRoot } = options;
  const given = resolve(cwd, envFile);
  if (isAbsolute(envFile)) return [given];
  const candidates = [given, join(backendDir, envFile), ...(projectRoot && isDefault(envFile) ? [join(projectRoot, envFile)] : [])];
  return [...new Set(candidates)].filter((path) => path !== workspaceFile);
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
 * Loads the project's env file into process.env, then the workspace's `.env` (see
 * readsWorkspaceFile), keeping variables already set: those set before the command win over both
 * files, and the project's file over the workspace's (dotenv never overrides). Returns the paths
 * loaded, in order; none when no default `.env` exists. A file the user named that does not exist
 * is an error listing the places looked.
 *
 * One exception to "already set wins": `nx run` loads the workspace's `.env` into every task's
 * environment before the executor starts (and the project root's `.env`, but not `backend/.env`).
 * A variable whose value is exactly what the workspace's `.env` says came from that file, not from
 * the user, so the project's file (or the one --env-file names) still wins over it.
 */
export function loadEnvFile(options: EnvFileOptions): string[] {
  const root = workspaceRootOf(options.projectRoot ?? options.backendDir);
  const rootFile = root === undefined ? undefined : join(root, DEFAULT_ENV_FILE);
  const workspaceFile = readsWorkspaceFile(options, root) ? rootFile : undefined;
  const candidates = envFileCandidates(options, workspaceFile);
  const found = candidates.find((path) => existsSync(path));
  if (!found && !isDefault(options.envFile)) {
    const looked = candidates.map((path) => relative(options.cwd, path) || path).join(', ');
    throw new UserError(`Env file '${options.envFile}' not found (looked at ${looked}). Check the --env-file path.`);
  }
  const project = found ? readEnvFile(found, options) : {};
  const workspace = workspaceFile && existsSync(workspaceFile) ? readEnvFile(workspaceFile, options) : undefined;
  // What Nx put in the environment from the workspace's .env (also with a named --env-file, which
  // Nx knows nothing of): dotenv's own reading, without our checks, since it is only compared.
  const nxLoaded = workspace ?? nxLoadedValues(rootFile);
  for (const [key, value] of Object.entries(project)) {
    const fromWorkspaceFile = nxLoaded[key] !== undefined && process.env[key] === nxLoaded[key];
    if (process.env[key] === undefined || fromWorkspaceFile) process.env[key] = value;
  }
  for (const [key, value] of Object.entries(workspace ?? {})) if (process.env[key] === undefined) process.env[key] = value;
  return [found, workspace ? workspaceFile : undefined].filter((path): path is string => path !== undefined);
}

/** The workspace `.env`'s values, as Nx loads them into a task, when the command does not read that file itself. */
function nxLoadedValues(file: string | undefined): Record<string, string> {
  if (!file || !existsSync(file) || !statSync(file).isFile()) return {};
  return parse(readFileSync(file, 'utf8'));
}

/** Reads and checks one env file; its values are secrets to every message from now on. */
function readEnvFile(found: string, options: EnvFileOptions): Record<string, string> {
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
  for (const value of Object.values(values)) rememberEnvValue(value);
  return values;
}
