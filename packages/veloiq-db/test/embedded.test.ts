// The embedded PostgreSQL (no DATABASE_URL) when several projects start theirs at once, as
// `nx run-many -t db-upgrade --parallel 4` does: a server per data folder, each on its own port.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { rejectsWith } from './revision-fixtures';
import { Client } from 'pg';
import { freePort, startEmbedded, type EmbeddedServer } from '../src/core/embedded';
import { runEngine } from './safety-fixtures';
import { copySample } from './support';

/** A project's `.veloiq/postgres` stand-in, in a folder the postgres user can enter (tests may run as root). */
function dataFolder(): { dir: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'veloiq-embedded-'));
  chmodSync(root, 0o755);
  return { dir: join(root, 'postgres'), remove: () => rmSync(root, { recursive: true, force: true }) };
}

async function settings(server: EmbeddedServer): Promise<{ port: string; dataDirectory: string; listen: string }> {
  const client = new Client({ connectionString: server.url('postgres') });
  await client.connect();
  try {
    const { rows } = await client.query(
      `select current_setting('port') as port, current_setting('data_directory') as "dataDirectory", current_setting('listen_addresses') as listen`,
    );
    return rows[0];
  } finally {
    await client.end();
  }
}

const portOf = (server: EmbeddedServer) => new URL(server.url('postgres')).port;

test('four servers started at once: each answers on its own port from its own data folder', async () => {
  const folders = Array.from({ length: 4 }, dataFolder);
  const servers: EmbeddedServer[] = [];
  try {
    servers.push(...(await Promise.all(folders.map(({ dir }) => startEmbedded(dir)))));
    const seen = await Promise.all(servers.map(settings));
    assert.deepEqual(
      seen.map((s) => s.dataDirectory),
      folders.map(({ dir }) => dir),
    );
    assert.deepEqual(
      seen.map((s) => s.port),
      servers.map(portOf),
    );
    assert.equal(new Set(servers.map(portOf)).size, 4, `ports: ${servers.map(portOf).join(', ')}`);
    for (const { listen } of seen) assert.equal(listen, '127.0.0.1');
  } finally {
    for (const server of servers) await server.stop();
    for (const folder of folders) folder.remove();
  }
  for (const { dir } of folders) assert.ok(!existsSync(join(dir, 'postmaster.pid')));
});

test('a port taken between choosing and starting: the server starts on another one, never beside the holder', async () => {
  const folder = dataFolder();
  // Another process's listener on 127.0.0.1, on the port the first choice returns.
  const holder = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => holder.once('listening', resolve));
  const taken = (holder.address() as { port: number }).port;
  const choices: number[] = [];
  const choose = async () => {
    const port = choices.length === 0 ? taken : await freePort();
    choices.push(port);
    return port;
  };
  let server: EmbeddedServer | undefined;
  try {
    server = await startEmbedded(folder.dir, choose);
    assert.equal(choices.length, 2);
    assert.notEqual(portOf(server), String(taken));
    assert.equal((await settings(server)).dataDirectory, folder.dir);
  } finally {
    await server?.stop();
    holder.close();
    folder.remove();
  }
});

test("every port tried is taken: one line naming PostgreSQL's reason and the way out", async () => {
  const folder = dataFolder();
  const holder = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => holder.once('listening', resolve));
  const taken = (holder.address() as { port: number }).port;
  try {
    await rejectsWith(
      startEmbedded(folder.dir, async () => taken),
      new RegExp(
        `^The embedded PostgreSQL in ${folder.dir} did not start \\(FATAL: +could not create any TCP/IP sockets\\)\\. Set DATABASE_URL to use another server`,
      ),
    );
  } finally {
    holder.close();
    folder.remove();
  }
});

test("one project's server shared: commands at once on a fresh project all succeed, and the last one out stops the server", async () => {
  const project = copySample();
  const dataDir = join(project.backend, '.veloiq', 'postgres');
  const noServer = { DATABASE_URL: '' };
  try {
    // Two first runs at once: one initialises and starts the server, the other waits and joins it.
    const [a, b] = await Promise.all([runEngine('upgrade', project.root, {}, noServer), runEngine('upgrade', project.root, {}, noServer)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.match(a.stdout + b.stdout, /2 revisions applied/);
    // Four readers at once, each joining or starting the server as it finds it.
    const readers = await Promise.all(Array.from({ length: 4 }, () => runEngine('history', project.root, {}, noServer)));
    for (const reader of readers) assert.equal(reader.code, 0, reader.stderr);
    assert.ok(!existsSync(join(dataDir, 'postmaster.pid')), 'the server was stopped by the last command');
    assert.ok(!existsSync(`${dataDir}.lock`), 'no start lock left behind');
  } finally {
    project.remove();
  }
});
