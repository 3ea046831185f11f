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
const nx = (target: string) => {
  const start = performance.now();
  const run = spawnSync(SOURCE_WORKSPACE.nx, ['run', `${name}:${target}`], { cwd: SOURCE_WORKSPACE.root, env, encoding: 'utf8' });
  return { run, ms: performance.now() - start };
};
try {
  // Nx's own cost on this project (graph, an empty task), for comparison on a loaded machine.
  const floor = nx('noop');
  console.log(`nx run ${name}:noop (Nx alone): ${(floor.ms / 1000).toFixed(2)} s`);
  for (const label of ['cold (empty Nx cache)', 'again (Nx cache hit)']) {
    const { run, ms } = nx('db-lint');
    const summary =
      (run.stdout + run.stderr)
        .split('\n')
        .map((line) => line.trim())
        .find((line) => line.startsWith('Linted')) ?? '(no summary line)';
    console.log(`db-lint, ${revisions} revisions, ${label}: ${(ms / 1000).toFixed(2)} s, exit ${run.status}: ${summary}`);
  }
} finally {
  rmSync(cache, { recursive: true, force: true });
  rmSync(join(SOURCE_WORKSPACE.projects, name), { recursive: true, force: true });
}
