import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MikroORM, Options } from '@mikro-orm/core';
import type { ClientConfig } from 'pg';
import { appBaseDir } from './app-base-dir';
import { ConnectionFailedError, UserError, firstLine, rememberSecret } from './errors';
import { ensureEmbeddedDatabase, startEmbedded } from './embedded';
import { loadErrorLine } from './load-error';
import { revisionLanguage } from './migration-options';
import { shownPath } from './paths';
import { requireOnUse } from './on-use';
import { isExistingApp, localStatePath, type Project } from './project';

/** pg waits forever for a server that accepts but never answers; users get an answer sooner. */
const CONNECT_TIMEOUT_MS = 8000;

export interface Database {
  orm: MikroORM;
  project: Project;
  /** Absolute path of the folder holding the revision files. */
  migrationsDir: string;
  /** The table that records applied revisions, as `schema.table`. */
  recordTable: { schema: string; table: string };
  /** An offline (`--sql`) session: statements are written to a script, each as given. */
  offline?: boolean;
  /** The project's MikroORM config as loaded once for the command (a scratch database reuses it). */
  config: Options;
  close(): Promise<void>;
}

/**
 * Packages a MikroORM config for PostgreSQL imports besides the project's own files. Loaded
 * natively first, from where the config resolves them, they are in require.cache when the
 * config asks: tsx's hook, which reads and scans each JavaScript file loaded under it, is spared
 * the driver's whole dependency tree. One that is missing is left to the config to report.
 */
const CONFIG_PACKAGES = ['@mikro-orm/postgresql', '@mikro-orm/migrations'];

/** Loads CONFIG_PACKAGES natively from where the config resolves them. */
export function preloadConfigPackages(project: Project): void {
  const requireFromConfig = createRequire(project.configPath);
  for (const id of CONFIG_PACKAGES) {
    try {
      requireFromConfig(id);
    } catch {
      // not installed for this project: the config names what it needs
    }
  }
}

/**
 * Makes MikroORM's `Utils.detectTsNode()` answer yes in this process, as it does under MikroORM's
 * CLI with ts-node: this process loads the project's TypeScript itself (see asTypeScriptRun).
 * Configs written after MikroORM's docs pick their folders with it (`path: Utils.detectTsNode() ?
 * 'src/migrations' : 'dist/migrations'`); from Nx's executor, a plain `node` process, it would
 * answer no and the commands would look for the revisions in an unbuilt `dist/`. Both copies
 * count: the engine's and the one the config resolves, when the project installed its own.
 */
function asTsNodeProcess(project: Project): void {
  for (const from of [__filename, project.configPath]) {
    try {
      (createRequire(from)('@mikro-orm/core') as typeof import('@mikro-orm/core')).Utils.detectTsNode = () => true;
    } catch {
      // not installed for this project: the config names what it needs
    }
  }
}

/** Loaded on use: tsx and esbuild load only when a config or a project file does. */
const loader = () => requireOnUse(() => require('./loader') as typeof import('./loader'));

/** The project's MikroORM config, as its file exports it (an object or a function returning one). */
export async function loadConfig(project: Project): Promise<Options> {
  preloadConfigPackages(project);
  asTsNodeProcess(project);
  let loaded: unknown;
  try {
    const { importModule, loadModule, needsModule } = loader();
    try {
      loaded = loadModule(project.configPath);
    } catch (error) {
      if (!needsModule(error)) throw error;
      loaded = await importModule(project.configPath);
    }
  } catch (error) {
    const show = (path: string) => shownPath(path, project.root, process.cwd());
    throw new UserError(`Cannot load ${loadErrorLine(error, project.configPath, show)}. Fix the config (or the file it imports).`, { cause: error });
  }
  const config = withEnvironment(await defaultContext(await ((loaded as { default?: unknown }).default ?? loaded), project), project);
  return asTypeScriptRun(isExistingApp(project) && config.baseDir === undefined ? { ...config, baseDir: appBaseDir(config, project) } : config);
}

/**
 * The config MikroORM's CLI would pick from what the file exports (ConfigurationLoader
 * .getConfiguration): an object, a promise, a function given the context name, or an array of
 * contexts, of which the one named by MIKRO_ORM_CONTEXT_NAME (default `default`).
 */
async function defaultContext(exported: unknown, project: Project): Promise<Options> {
  const name = process.env.MIKRO_ORM_CONTEXT_NAME ?? 'default';
  const named = (config: unknown) => typeof config === 'object' && config !== null && ((config as Options).contextName ?? 'default') === name;
  if (typeof exported === 'function') return exported(name);
  if (!Array.isArray(exported)) return exported as Options;
  const found = exported.filter(named);
  if (found.length > 1) throw new UserError(`MikroORM config '${name}' is in the array ${project.configPath} exports more than once. Keep one.`);
  if (found.length === 1) return found[0];
  for (const factory of exported.filter((entry) => typeof entry === 'function')) {
    const config = await factory(name);
    if (typeof config === 'object' && config !== null && [undefined, name].includes((config as Options).contextName)) return config;
  }
  throw new UserError(
    `MikroORM config '${name}' is not in the array ${project.configPath} exports. Add it, or set MIKRO_ORM_CONTEXT_NAME to the context to migrate.`,
  );
}

/**
 * The config as MikroORM.init reads it: its MIKRO_ORM_* variables (set, or, for an existing app,
 * in the .env of the config's baseDir) override the file's fields, and may be the whole
 * connection or entity list. Every command then sees the server, entities and migrations folder
 * the app itself uses. A project of ours reads only the env file `--env-file` names (or the
 * default `.env`), so a variable missing from `--env-file .env.production` is never taken from
 * the developer's `.env`.
 */
function withEnvironment(config: Options, project: Project): Options {
  const { ConfigurationLoader, Utils } = require('@mikro-orm/core') as typeof import('@mikro-orm/core');
  if (isExistingApp(project)) ConfigurationLoader.registerDotenv({ baseDir: config.baseDir ?? project.backendDir });
  const env = ConfigurationLoader.loadEnvironmentVars();
  return Object.keys(env).length > 0 ? Utils.mergeConfig({}, config, env) : config;
}

let quieted = 0;
let restore: (() => void) | undefined;

/**
 * Runs MikroORM's init with the options exactly as given. MikroORM.init and initSync merge the
 * MIKRO_ORM_* variables over their options again, which would undo what a command sets (the
 * scratch database's name, debug off, the embedded server); loadConfig has merged them into the
 * config already, so nothing of the app's is lost.
 */
export function asGiven<T>(init: () => T): T {
  const { ConfigurationLoader } = require('@mikro-orm/core') as typeof import('@mikro-orm/core');
  if (quieted++ === 0) {
    const { registerDotenv, loadEnvironmentVars } = ConfigurationLoader;
    ConfigurationLoader.registerDotenv = () => undefined;
    ConfigurationLoader.loadEnvironmentVars = () => ({});
    restore = () => Object.assign(ConfigurationLoader, { registerDotenv, loadEnvironmentVars });
  }
  const done = () => {
    if (--quieted === 0) restore?.();
  };
  let result: T;
  try {
    result = init();
  } catch (error) {
    done();
    throw error;
  }
  if (result instanceof Promise) return result.finally(done) as T;
  done();
  return result;
}

/**
 * The config as MikroORM reads it when its CLI runs under ts-node, which is what this process
 * is to the project: it loads the project's TypeScript itself. So `entitiesTs` globs are the
 * ones discovered (`entities` globs usually name a `dist/` that is not built), and an entity or
 * revision file MikroORM imports by path is loaded as the config was: a native `import()` (the
 * default, or the app's own provider, often written for a test runner) cannot load TypeScript.
 */
function asTypeScriptRun(config: Options): Options {
  const theirs = config.dynamicImportProvider ?? ((id: string) => import(id));
  return {
    ...config,
    preferTs: config.preferTs ?? config.tsNode ?? true,
    dynamicImportProvider: (id: string) => {
      const path = id.startsWith('file://') ? fileURLToPath(id) : id;
      return /\.[cm]?tsx?$/.test(path) ? Promise.resolve(loader().loadModule(path)) : theirs(id);
    },
  };
}

export function migrationsDirOf(config: Options, project: Project): string {
  const baseDir = config.baseDir ?? project.backendDir;
  // pathTs holds TypeScript sources and path compiled JavaScript: revisions written as JavaScript
  // (`emit: 'js'` or `'cjs'`) live in path, as MikroORM's migrator writes them.
  let { path, pathTs } = config.migrations ?? {};
  if (!path && !pathTs && !existsSync(join(baseDir, 'migrations')) && existsSync(join(baseDir, 'src'))) {
    // MikroORM's own default for a project with a src/ folder (Configuration.detectSourceFolder):
    // an existing app's migrator wrote its revisions there, and they are this project's history.
    pathTs = './src/migrations';
    path = `./${['dist', 'build'].find((dir) => existsSync(join(baseDir, dir))) ?? 'src'}/migrations`;
  }
  return resolve(baseDir, (revisionLanguage(config) !== 'ts' ? (path ?? pathTs) : (pathTs ?? path)) ?? './migrations');
}

/** The table that records applied revisions: `migrations.tableName` (`schema.table` or a name in the config's schema). */
export function recordTableOf(config: Options): Database['recordTable'] {
  const tableName = config.migrations?.tableName ?? 'mikro_orm_migrations';
  if (tableName.includes('.')) {
    const [schema, table] = tableName.split('.');
    return { schema, table };
  }
  return { schema: config.schema ?? 'public', table: tableName };
}

/** Where the server is, for messages: never the password. */
function serverOf(url: string | undefined): string {
  if (!url) return 'the database';
  try {
    const { hostname, port, pathname } = new URL(url);
    return `${hostname}:${port || 5432}${pathname}`;
  } catch {
    return 'the configured database';
  }
}

/**
 * What to check when the server cannot be reached: DATABASE_URL for our configs, the config's own
 * connection fields for an existing app's (it need not read DATABASE_URL at all).
 */
function connectionFix(project: Project | undefined): string {
  if (!project || !isExistingApp(project)) return 'Check DATABASE_URL (or unset it to use the embedded database).';
  return `Check the connection in ${shownPath(project.configPath, project.root, process.cwd())} (clientUrl, host, port, user, password, dbName) and the MIKRO_ORM_* variables.`;
}

function connectionError(error: unknown, url: string | undefined, project?: Project): UserError {
  const e = error as { code?: string; message?: string };
  const where = serverOf(url);
  const failed = (message: string) => new ConnectionFailedError(where, message, { cause: error });
  const fix = connectionFix(project);
  switch (e?.code) {
    case 'ECONNREFUSED':
      return failed(`Cannot connect to PostgreSQL at ${where}: connection refused. Start the server or ${fix[0].toLowerCase()}${fix.slice(1)}`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return failed(`Cannot connect to PostgreSQL at ${where}: host not found. ${fix}`);
    case '3D000': {
      const create = project && isExistingApp(project) ? 'createdb, or veloiq db upgrade creates it' : 'createdb';
      return failed(`Database ${where} does not exist. Create it (${create}) or ${fix[0].toLowerCase()}${fix.slice(1)}`);
    }
    case '28P01':
    case '28000':
      return failed(`PostgreSQL at ${where} refused the login: ${e.message}. ${fix}`);
  }
  const message = firstLine(error);
  if (/timeout|timed out/i.test(message)) {
    return failed(`PostgreSQL at ${where} did not answer within ${CONNECT_TIMEOUT_MS / 1000} s. ${fix}`);
  }
  return failed(`Cannot connect to PostgreSQL at ${where}: ${message}. ${fix}`);
}

/** MikroORM refused the config (a missing driver, an unknown option): its first line, and where. */
export function invalidConfig(project: Project, error: unknown): UserError {
  return new UserError(`Invalid MikroORM config in ${project.configPath}: ${firstLine(error)}`, { cause: error });
}

function rememberUrlPassword(url: string): void {
  let password: string;
  try {
    password = new URL(url).password;
  } catch {
    return; // not a URL MikroORM can use either; checkUrl says so
  }
  rememberSecret(password);
  try {
    rememberSecret(decodeURIComponent(password));
  } catch {
    // a malformed escape: checkUrl refuses it, and the raw form is remembered
  }
}

/** Whether the driver can decode a part of the URL (pg decodes user and password; `%zz` throws). */
function decodes(part: string): boolean {
  try {
    decodeURIComponent(part);
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuses a connection URL that cannot be what the user meant, before the driver reads it
 * wrongly: typically a password with an unencoded `@`, `#` or `/`. The URL is never shown.
 */
function checkUrl(url: string, dbName: string | undefined, project: Project): void {
  const encode = 'percent-encode special characters of the password (@ as %40, # as %23, / as %2F)';
  let problem: string | undefined;
  try {
    const parsed = new URL(url);
    if (!/^postgres(ql)?:$/.test(parsed.protocol)) problem = `it starts with '${parsed.protocol}//': start it with postgresql://`;
    else if (parsed.hash || /@.*@/.test(url.replace(/\?.*$/, ''))) problem = `the password seems to hold an unencoded @ or #: ${encode}`;
    else if (!decodes(parsed.username) || !decodes(parsed.password))
      problem = `the user or password holds a % that starts no percent escape: write % as %25 (and ${encode})`;
    else if (!parsed.hostname) problem = 'it names no host: put the server after the @';
    else if (parsed.pathname.length <= 1 && !dbName) problem = 'it names no database: end it with /<database>';
  } catch {
    problem = `it does not parse as a URL: check its form (postgresql://, user, password, @host, :port, /database) and ${encode}`;
  }
  if (!problem) return;
  throw new UserError(`The database URL (clientUrl in ${project.configPath}, usually DATABASE_URL) is not valid: ${problem}.`);
}

/**
 * A killed run's transaction must end when its client is gone, not when the statement it is
 * running (an index build, a long update) finishes: otherwise it holds its locks, and the next
 * run waits for a ghost. PostgreSQL 14+ checks the client while a query runs when asked to;
 * older servers lack the setting and the query sets nothing. A value the user set wins.
 */
const CLIENT_CHECK = `select set_config(name, '2000', false) from pg_settings where name = 'client_connection_check_interval' and setting = '0'`;
type AfterCreate = (
  connection: { query(sql: string, done: (error?: Error) => void): void },
  done: (error: Error | undefined, connection: unknown) => void,
) => void;

function withClientCheck(pool: Options['pool']): Options['pool'] {
  const theirs = (pool as { afterCreate?: AfterCreate } | undefined)?.afterCreate;
  const afterCreate: AfterCreate = (connection, done) =>
    connection.query(CLIENT_CHECK, (error) => (error || !theirs ? done(error, connection) : theirs(connection, done)));
  return { ...pool, afterCreate } as Options['pool'];
}

/** The server a config names, or the embedded one it falls back to, with what stops it. */
interface Server {
  clientUrl?: string;
  dbName?: string;
  stop(): Promise<void>;
}

/**
 * Whether the config connects to a server of its own. Ours (under `backend/`) names one by
 * `clientUrl` (DATABASE_URL) or a connection field and leaves only `dbName` to the embedded one;
 * an existing app's config that names just `dbName` means MikroORM's default server
 * (postgres@127.0.0.1:5432), where the app itself and MikroORM's CLI connect.
 */
export function namesServer(config: Options, project: Project): boolean {
  return [config.clientUrl, config.host, config.port, config.user, config.password, isExistingApp(project) ? config.dbName : undefined].some(
    (value) => value !== undefined && value !== '',
  );
}

/**
 * Where the config's database is: the server in the config (DATABASE_URL), or, when the config
 * names none, the embedded PostgreSQL kept in the project's git-ignored `.veloiq/` folder.
 */
async function resolveServer(config: Options, project: Project): Promise<Server> {
  rememberSecret(typeof config.password === 'string' ? config.password : undefined);
  if (config.clientUrl) {
    rememberUrlPassword(config.clientUrl);
    checkUrl(config.clientUrl, config.dbName, project);
  }
  if (namesServer(config, project)) return { clientUrl: config.clientUrl, dbName: config.dbName, stop: async () => undefined };
  const server = await startEmbedded(localStatePath(project, 'postgres'));
  const dbName = config.dbName ?? basename(project.root);
  try {
    await ensureEmbeddedDatabase(server.url('postgres'), dbName);
  } catch (error) {
    await server.stop();
    throw connectionError(error, server.url('postgres'));
  }
  const clientUrl = server.url(dbName);
  rememberUrlPassword(clientUrl);
  return { clientUrl, dbName, stop: server.stop };
}

/**
 * Opens the project's database through MikroORM (the server in the config, or the embedded
 * one: see resolveServer). Given `created`, an existing app's database the server lacks is created, and said.
 */
export async function openDatabase(project: Project, loaded?: Options, created?: (line: string) => void): Promise<Database> {
  const config = loaded ?? (await loadConfig(project));
  const baseDir = config.baseDir ?? project.backendDir;
  const server = await resolveServer(config, project);
  const { clientUrl, dbName } = server;

  let orm: MikroORM;
  try {
    // Required here: a read-only command that reads the record over plain pg never loads it.
    const { MikroORM } = require('@mikro-orm/core') as typeof import('@mikro-orm/core');
    orm = await asGiven(() =>
      MikroORM.init({
        ...config,
        clientUrl,
        dbName,
        baseDir,
        connect: false,
        ensureDatabase: false,
        debug: false,
        allowGlobalContext: true,
        pool: withClientCheck(config.pool),
        driverOptions: {
          ...(config.driverOptions as object),
          connection: {
            connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
            ...((config.driverOptions as { connection?: object })?.connection ?? {}),
          },
        },
      }),
    );
  } catch (error) {
    await server.stop();
    throw invalidConfig(project, error);
  }
  const close = async () => {
    await orm.close(true);
    await server.stop();
  };
  try {
    // The driver's connect() only builds the pool; one query proves the server answers.
    // (orm.connect() would also probe, and a silent server would cost the timeout twice.)
    await orm.em.getDriver().connect();
    const probe = () => orm.em.getConnection().execute('select 1');
    await probe().catch(async (error: unknown) => {
      if (!created || !isExistingApp(project) || config.ensureDatabase === false || (error as { code?: string })?.code !== '3D000') throw error;
      // As the app itself does when it starts (MikroORM's ensureDatabase, on by default): the
      // server is there and the database is not yet. Said, so a mistyped name is noticed. A
      // DATABASE_URL of ours naming a missing database stays an error (a deploy's typo).
      await orm.schema.ensureDatabase();
      created(
        `Created database ${serverOf(shownUrl(config, server))}: it did not exist (set ensureDatabase: false in the MikroORM config to be refused instead).`,
      );
      await probe();
    });
  } catch (error) {
    await close();
    throw connectionError(error, shownUrl(config, server), project);
  }
  return { orm, project, migrationsDir: migrationsDirOf(config, project), recordTable: recordTableOf(config), config, close };
}

/** A session that reads the record over plain pg (openReadOnly), for the read-only commands. */
export interface ReadOnlyDatabase extends Pick<Database, 'project' | 'migrationsDir' | 'recordTable' | 'close'> {
  /** Runs one read and returns its rows (`?` placeholders, as MikroORM's execute). */
  query<T>(sql: string, params: unknown[]): Promise<T[]>;
}

/** What reading the record needs. */
export type RecordSource = Database | ReadOnlyDatabase;

/**
 * The connection settings MikroORM's PostgreSQL driver gives pg for this config (its
 * Connection.getConnectionOptions): the URL's parts, each overridden by its own config field.
 * Only for a config plainConnectionDoubt (config-facts.ts) accepts: no driverOptions, no pool.
 */
function pgSettings(config: Options, server: Server): ClientConfig {
  const url = new URL(server.clientUrl ?? 'postgresql://postgres@127.0.0.1:5432');
  return {
    host: config.host ?? decodeURIComponent(url.hostname),
    port: (config.port ?? +url.port) || undefined,
    user: config.user ?? decodeURIComponent(url.username),
    password: (config.password as string | undefined) ?? decodeURIComponent(url.password),
    database: server.dbName ?? decodeURIComponent(url.pathname).replace(/^\//, ''),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  };
}

/** The server and database MikroORM connects to for this config, for messages (no user, no password). */
function shownUrl(config: Options, server: Server): string {
  const { host, port, database } = pgSettings(config, server);
  return `postgresql://${host}:${port ?? 5432}/${database}`;
}

/**
 * Opens the project's database for reading the record with pg alone: what a read-only command
 * needs, without MikroORM's start-up (entity discovery, its driver's packages). The same server,
 * the same errors as openDatabase.
 */
export async function openReadOnly(project: Project, config: Options): Promise<ReadOnlyDatabase> {
  const server = await resolveServer(config, project);
  const { Client } = require('pg') as typeof import('pg');
  const client = new Client(pgSettings(config, server));
  const close = async () => {
    await client.end().catch(() => undefined);
    await server.stop();
  };
  try {
    await client.connect();
  } catch (error) {
    await close();
    throw connectionError(error, shownUrl(config, server), project);
  }
  // A server that goes away later must not throw from an event nobody listens to.
  client.on('error', () => undefined);
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    project,
    migrationsDir: migrationsDirOf(config, project),
    recordTable: recordTableOf(config),
    query: async (sql, params) => (await client.query(params.length > 0 ? numbered(sql) : sql, params)).rows,
    close,
  };
}
