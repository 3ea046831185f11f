import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';
import type { Options } from '@mikro-orm/core';
import { loadConfig, preloadConfigPackages } from './orm';
import { readOwnFile } from './private-files';
import { localStatePath, type Project } from './project';

/**
 * The read-only commands (current, history, heads) need five facts from the MikroORM config: the
 * server, the migrations folder, the record table. Loading the config costs more than the whole
 * command (MikroORM's packages, the entities, tsx): so what it resolved to is remembered in
 * `backend/.veloiq/config-facts.json` with everything the load depended on, and reused only
 * while all of that is unchanged. Recorded while the config loads:
 * - every file read or probed (its modules, tsconfig, dotenv files), by mtime and size, and the
 *   package.json of every installed package loaded;
 * - every environment variable looked at, by a salted digest of its value;
 * - the working directory, when the config asked for it or names a relative baseDir.
 * A config that is a function (it may fetch anything), enumerates the environment, sets
 * variables, or whose connection password is not an environment variable's value (secrets are
 * never written to disk: such a value is stored as the variable's name) is not remembered.
 */
const FORMAT = 1;
const FACTS_FILE = 'config-facts.json';

/** The config fields the read-only commands use; any other field is a reason to load it in full. */
const READ_FIELDS = ['clientUrl', 'host', 'port', 'user', 'password', 'dbName', 'schema', 'baseDir', 'migrations'] as const;
const MIGRATION_FIELDS = ['tableName', 'path', 'pathTs', 'emit'] as const;

/** Fields that change nothing about reading the record table over a plain connection. */
const INERT_FIELDS = new Set<string>([
  ...READ_FIELDS,
  'entities',
  'entitiesTs',
  'extensions',
  'driver',
  'metadataProvider',
  'metadataCache',
  'discovery',
  'debug',
  'seeder',
  'allowGlobalContext',
  'forceUtcTimezone',
  'timezone',
  'strict',
  'validate',
  'namingStrategy',
  'loadStrategy',
  'serialization',
  'forceEntityConstructor',
  'forceUndefined',
  'populateAfterFlush',
  'implicitTransactions',
  'schemaGenerator',
  'entityGenerator',
  'filters',
  'subscribers',
  'colors',
  'highlighter',
  'preferTs',
  'tsNode',
  // How entity and revision files are imported (ours, or the app's own): not the connection.
  'dynamicImportProvider',
  'contextName',
]);

/** A stored string that was an environment variable's value when the config loaded. */
interface EnvRef {
  env: string;
}

interface Facts {
  format: number;
  config: Record<string, unknown>;
  /** [path, mtimeMs, size]; a path that did not exist has mtimeMs -1. */
  files: [string, number, number][];
  env: string[];
  salt: string;
  digest: string;
  cwd?: string;
}

/**
 * Why a loaded config cannot be read over a plain pg connection exactly as MikroORM would
 * connect (undefined when it can): MikroORM's own environment variables and their dotenv file,
 * fields with effects on the connection (driverOptions, pool), a password function.
 */
export function plainConnectionDoubt(config: Options): string | undefined {
  if (typeof config !== 'object' || config === null) return 'the config is not an object';
  const odd = Object.keys(config).find((key) => !INERT_FIELDS.has(key) && (config as Record<string, unknown>)[key] !== undefined);
  if (odd) return `the config sets '${odd}'`;
  if (config.password !== undefined && typeof config.password !== 'string') return 'the password is not a string';
  if (config.migrations && Object.keys(config.migrations).some((key) => typeof (config.migrations as Record<string, unknown>)[key] === 'function'))
    return 'migrations options hold functions';
  if (Object.keys(process.env).some((key) => key.startsWith('MIKRO_ORM_'))) return 'MIKRO_ORM_ variables are set';
  // MikroORM.init copies MIKRO_ORM_ variables from this file into the environment.
  const dotenv = process.env.MIKRO_ORM_ENV ?? join(config.baseDir ?? process.cwd(), '.env');
  if (fs.existsSync(dotenv) && /^\s*(export\s+)?MIKRO_ORM_/m.test(fs.readFileSync(dotenv, 'utf8'))) return `${dotenv} sets MIKRO_ORM_ variables`;
  return undefined;
}

const digestOf = (salt: string, keys: string[], value: (key: string) => string | undefined) =>
  createHash('sha256')
    .update(salt)
    .update(JSON.stringify(keys.map((key) => value(key) ?? null)))
    .digest('hex');

function stamp(path: string): [string, number, number] {
  try {
    const { mtimeMs, size } = fs.statSync(path);
    return [path, mtimeMs, size];
  } catch {
    return [path, -1, 0];
  }
}

/** The package.json of the installed package a file belongs to, or the file itself. */
function dependencyOf(path: string): string {
  const at = path.lastIndexOf(`${sep}node_modules${sep}`);
  if (at === -1) return path;
  const parts = path.slice(at + 14).split(sep);
  const name = parts[0].startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1);
  return join(path.slice(0, at + 13), ...name, 'package.json');
}

interface Recorded {
  config: Options;
  files: Set<string>;
  env: Map<string, string | undefined>;
  /** Why what the load did cannot be remembered. */
  doubt?: string;
  cwdAsked: boolean;
}

type FsProbe = (path: fs.PathLike, ...rest: unknown[]) => unknown;
const PROBES = ['readFileSync', 'existsSync', 'statSync', 'lstatSync', 'readdirSync', 'openSync'] as const;

/** Loads the config while noting what it reads: files, environment variables, the directory. */
async function recordedLoad(project: Project): Promise<Recorded> {
  // MikroORM's driver packages load first, unrecorded: some read the whole environment when they
  // load (debug looks for DEBUG_* variables), which says nothing about the config.
  preloadConfigPackages(project);
  const files = new Set<string>();
  const env = new Map<string, string | undefined>();
  let doubt: string | undefined;
  let cwdAsked = false;
  let recording = true;
  const real = process.env;
  const seen = (key: string | symbol) => {
    if (recording && typeof key === 'string' && !env.has(key)) env.set(key, real[key]);
  };
  process.env = new Proxy(real, {
    get: (target, key) => (seen(key), Reflect.get(target, key)),
    has: (target, key) => (seen(key), Reflect.has(target, key)),
    getOwnPropertyDescriptor: (target, key) => (seen(key), Reflect.getOwnPropertyDescriptor(target, key)),
    ownKeys: (target) => ((doubt ??= recording ? 'the config lists the environment' : undefined), Reflect.ownKeys(target)),
    set: (target, key, value) => ((doubt ??= recording ? 'the config sets environment variables' : undefined), Reflect.set(target, key, value)),
    deleteProperty: (target, key) => ((doubt ??= recording ? 'the config deletes environment variables' : undefined), Reflect.deleteProperty(target, key)),
  });
  const originals = PROBES.map((name) => [name, fs[name]] as const);
  for (const [name, original] of originals) {
    (fs as unknown as Record<string, FsProbe>)[name] = function (this: unknown, path, ...rest) {
      if (recording && (typeof path === 'string' || path instanceof URL)) files.add(typeof path === 'string' ? path : path.pathname);
      return (original as FsProbe).call(this, path, ...rest);
    };
  }
  const realCwd = process.cwd;
  process.cwd = () => ((cwdAsked ||= recording), realCwd());
  const before = new Set(Object.keys(require.cache));
  // Loaded before in this process (a test running commands in turn): what it reads is unknown.
  if (before.has(project.configPath)) doubt = 'the config was loaded before';
  let config: Options;
  try {
    config = await loadConfig(project);
    const exported = require.cache[project.configPath]?.exports as { default?: unknown } | undefined;
    if (typeof (exported?.default ?? exported) === 'function') doubt ??= 'the config exports a function';
  } finally {
    recording = false;
    process.env = real;
    for (const [name, original] of originals) (fs as unknown as Record<string, unknown>)[name] = original;
    process.cwd = realCwd;
  }
  // Modules the config imported (the loader reads some without fs), and the installed packages loaded.
  for (const path of Object.keys(require.cache)) if (!before.has(path) || path.includes(`${sep}node_modules${sep}`)) files.add(path);
  return { config, files, env, doubt, cwdAsked };
}

function urlHoldsPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return true;
  }
}

/** What the facts file stores for the read fields; undefined when a secret would have to be written. */
function storable(config: Options, env: Map<string, string | undefined>): Record<string, unknown> | undefined {
  const fromEnv = (value: string): EnvRef | undefined => {
    const key = [...env].find(([, v]) => v === value)?.[0];
    return key === undefined ? undefined : { env: key };
  };
  const stored: Record<string, unknown> = {};
  for (const field of READ_FIELDS) {
    const value = config[field];
    if (value === undefined) continue;
    if (field === 'migrations') {
      const migrations = value as Record<string, unknown>;
      stored.migrations = Object.fromEntries(MIGRATION_FIELDS.filter((key) => migrations[key] !== undefined).map((key) => [key, migrations[key]]));
      continue;
    }
    const secret = field === 'password' || (field === 'clientUrl' && urlHoldsPassword(String(value)));
    if (secret) {
      const ref = fromEnv(String(value));
      if (!ref) return undefined;
      stored[field] = ref;
    } else {
      stored[field] = value;
    }
  }
  return stored;
}

/**
 * Loads of the config in other contexts kept beside the newest: `nx run` (the workspace root,
 * Nx's variables) and `veloiq` in a project folder alternate without loading it each time.
 */
const KEPT = 4;

function factsFile(project: Project): string {
  return join(project.backendDir, '.veloiq', FACTS_FILE);
}

/**
 * The remembered entries. The file picks the server (and which variable's value goes to it as
 * the password), so one another user could have written is not read (readOwnFile).
 */
function readEntries(project: Project): Facts[] {
  try {
    const entries = JSON.parse(readOwnFile(factsFile(project)) ?? '[]');
    return Array.isArray(entries) ? entries.filter((e: Facts) => e?.format === FORMAT) : [];
  } catch {
    return [];
  }
}

function remember(project: Project, recorded: Recorded): void {
  if (recorded.doubt) return;
  const config = storable(recorded.config, recorded.env);
  if (!config) return;
  const keys = [...recorded.env.keys()].sort();
  const salt = randomBytes(16).toString('hex');
  const relativeBase = typeof recorded.config.baseDir === 'string' && !isAbsolute(recorded.config.baseDir);
  const facts: Facts = {
    format: FORMAT,
    config,
    files: [...new Set([...recorded.files].map((path) => dependencyOf(isAbsolute(path) ? path : join(process.cwd(), path))))].sort().map(stamp),
    env: keys,
    salt,
    digest: digestOf(salt, keys, (key) => recorded.env.get(key)),
    ...(recorded.cwdAsked || relativeBase ? { cwd: process.cwd() } : {}),
  };
  try {
    const path = localStatePath(project, FACTS_FILE);
    // Exclusive: a name planted in a folder others may write is never followed.
    fs.writeFileSync(`${path}.${process.pid}`, JSON.stringify([facts, ...readEntries(project)].slice(0, KEPT)), { flag: 'wx', mode: 0o600 });
    fs.renameSync(`${path}.${process.pid}`, path);
  } catch {
    // a read-only checkout: the next command loads the config again
  }
}

/** Whether everything the facts were resolved from is as it was, here and now. */
function holds(facts: Facts): boolean {
  if (facts.cwd !== undefined && facts.cwd !== process.cwd()) return false;
  if (digestOf(facts.salt, facts.env, (key) => process.env[key]) !== facts.digest) return false;
  return facts.files.every(([file, mtimeMs, size]) => {
    const [, now, nowSize] = stamp(file);
    return now === mtimeMs && nowSize === size;
  });
}

/** The remembered config, if one entry still holds. */
function remembered(project: Project): Options | undefined {
  const facts = readEntries(project).find(holds);
  if (!facts) return undefined;
  const config: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(facts.config)) {
    config[field] = typeof value === 'object' && value !== null && 'env' in value ? process.env[(value as EnvRef).env] : value;
  }
  return config as Options;
}

/**
 * The project's config for a read-only command, and whether a plain pg connection reads its
 * record as MikroORM would (`plain`). Remembered facts when nothing they came from changed;
 * otherwise the config loads in full and, when it can be, is remembered for the next command.
 */
export async function readOnlyConfig(project: Project): Promise<{ config: Options; plain: boolean }> {
  const known = remembered(project);
  if (known && !plainConnectionDoubt(known)) return { config: known, plain: true };
  const recorded = await recordedLoad(project);
  const doubt = plainConnectionDoubt(recorded.config);
  if (!doubt) remember(project, recorded);
  return { config: recorded.config, plain: !doubt };
}
