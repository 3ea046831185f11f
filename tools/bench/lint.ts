// `npx tsx tools/bench/lint.ts [revisions]`: db-lint's time on a project of N revisions (default
// 1000), through `nx run` as CI runs it: cold (an empty Nx cache), then again (a cache hit).
// Needs no database: lint renders the SQL offline. The scratch project goes under
// tools/bench/.scratch/ and is removed afterwards.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SOURCE_WORKSPACE, createScratchProject } from './scratch';

const revisions = Number(process.argv[2] ?? 1000);
const name = 'bench-lint';
createScratchProject(SOURCE_WORKSPACE, name, revisions);
const cache = mkdtempSync(join(tmpdir(), 'veloiq-bench-lint-'));
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0', NX_CACHE_DIRECTORY: cache };
try {
  for (const label of ['cold (empty Nx cache)', 'again (Nx cache hit)']) {
    const start = performance.now();
    const run = spawnSync(SOURCE_WORKSPACE.nx, ['run', `${name}:db-lint`], { cwd: SOURCE_WORKSPACE.root, env, encoding: 'utf8' });
    const ms = performance.now() - start;
    const summary = run.stdout.split('\n').find((line) => line.startsWith('Linted')) ?? run.stdout.slice(-400);
    console.log(`db-lint, ${revisions} revisions, ${label}: ${(ms / 1000).toFixed(2)} s, exit ${run.status}: ${summary}`);
  }
} finally {
  rmSync(cache, { recursive: true, force: true });
  rmSync(join(SOURCE_WORKSPACE.projects, name), { recursive: true, force: true });
}
