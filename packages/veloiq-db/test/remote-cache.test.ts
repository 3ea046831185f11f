// Nx's remote cache, for real: a small server implementing Nx's self-hosted cache API
// (PUT/GET /v1/cache/{hash}, tar archives as bytes) on 127.0.0.1, and two copies of this
// workspace at different paths, each with its own empty local cache. What the first copy
// computes, the second reads back: `generate` and `db-check` are remote-cache hits there and the
// restored files are byte for byte the first copy's. `db-upgrade` and `db-current`, which read a
// live database, are never stored nor read.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { copyWorkspace, createTestDatabase, nx, systemPgAvailable, type RunResult, type TestDatabase } from './support';

interface CacheServer {
  url: string;
  stored: Map<string, Buffer>;
  /** Hashes asked for and found, and stored, in order. */
  hits: string[];
  puts: string[];
  close(): Promise<void>;
}

/** The spec's two endpoints, in memory; a second PUT of a hash is refused with 409, as the spec says. */
async function startCacheServer(): Promise<CacheServer> {
  const stored = new Map<string, Buffer>();
  const hits: string[] = [];
  const puts: string[] = [];
  const server: Server = createServer((req, res) => {
    const hash = /^\/v1\/cache\/([^/?]+)$/.exec(req.url ?? '')?.[1];
    if (!hash) return void res.writeHead(404).end();
    if (req.method === 'GET') {
      const body = stored.get(hash);
      if (!body) return void res.writeHead(404).end();
      hits.push(hash);
      return void res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length }).end(body);
    }
    if (req.method === 'PUT') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (stored.has(hash)) return void res.writeHead(409).end();
        stored.set(hash, Buffer.concat(chunks));
        puts.push(hash);
        res.writeHead(200).end();
      });
      return;
    }
    res.writeHead(405).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, stored, hits, puts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Every file under `dir`, relative path -> contents. */
function filesUnder(dir: string, prefix = ''): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const path = join(prefix, entry.name);
    if (entry.isDirectory()) for (const [p, b] of filesUnder(dir, path)) files.set(p, b);
    else files.set(path, readFileSync(join(dir, path)));
  }
  return files;
}

/** Nx's task lines: `> nx run p:t` with `[remote cache]` after a remote hit. */
const taskLine = (output: string, task: string) => output.split('\n').find((line) => line.trim().startsWith(`> nx run ${task}`)) ?? '';

describe('Nx remote cache: two copies of the workspace at different paths share generate and db-check', () => {
  let cache: CacheServer;
  let db: TestDatabase;
  const copies: ReturnType<typeof copyWorkspace>[] = [];

  const runIn = (copy: ReturnType<typeof copyWorkspace>, args: string[]): Promise<RunResult> =>
    nx(args, {
      cwd: copy.root,
      env: { DATABASE_URL: db.url, NX_SELF_HOSTED_REMOTE_CACHE_SERVER: cache.url, NX_CACHE_DIRECTORY: join(copy.root, '.nx', 'local-cache'), NX_TUI: 'false' },
      // A shared 2-core machine can take minutes for a cold generate + db-check.
      timeoutMs: 600_000,
    });

  before(async () => {
    assert.ok(await systemPgAvailable(), 'PostgreSQL on 127.0.0.1:5432');
    cache = await startCacheServer();
    db = await createTestDatabase('vq_remote');
    copies.push(copyWorkspace('veloiq-remote-a-'), copyWorkspace('veloiq-remote-other-path-b-'));
  });

  after(async () => {
    await cache?.close();
    await db?.drop();
    for (const copy of copies) copy.remove();
  });

  test('the first copy computes generate and db-check and stores both; the second reads both back, byte for byte', async () => {
    const [first, second] = copies;
    const generated = (copy: ReturnType<typeof copyWorkspace>) => join(copy.root, 'apps/sample/backend/src/generated');
    // The second copy's generated files come only from the cache.
    rmSync(generated(second), { recursive: true, force: true });

    const computed = await runIn(first, ['run', 'sample:db-check']);
    assert.equal(computed.code, 0, computed.stdout + computed.stderr);
    assert.doesNotMatch(taskLine(computed.stdout, 'sample:generate'), /cache/);
    assert.equal(cache.puts.length, 2, `generate and db-check stored (${cache.puts.join(', ')})`);

    const restored = await runIn(second, ['run', 'sample:db-check']);
    assert.equal(restored.code, 0, restored.stdout + restored.stderr);
    assert.match(taskLine(restored.stdout, 'sample:generate'), /\[remote cache\]/, restored.stdout);
    assert.match(taskLine(restored.stdout, 'sample:db-check'), /\[remote cache\]/, restored.stdout);
    assert.deepEqual(new Set(cache.hits), new Set(cache.puts), 'both hashes were read back');
    assert.deepEqual(filesUnder(generated(second)), filesUnder(generated(first)));
    // The replayed terminal output is the first copy's, with no path of the first copy in it.
    assert.ok(!restored.stdout.includes(first.root), 'no absolute path of the first copy');
  });

  test('db-upgrade and db-current read the live database: never stored, never read from the cache', async () => {
    const [first, second] = copies;
    const before = cache.puts.length;
    for (const copy of [first, second]) {
      for (const target of ['db-upgrade', 'db-current']) {
        const result = await runIn(copy, ['run', `sample:${target}`]);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.doesNotMatch(taskLine(result.stdout, `sample:${target}`), /cache/, result.stdout);
      }
    }
    assert.equal(cache.puts.length, before, 'nothing more stored');
    const current = await runIn(second, ['run', 'sample:db-current']);
    assert.match(current.stdout, /At head\./, 'the second copy sees what the first applied: the live database, not a replay');
  });
});
