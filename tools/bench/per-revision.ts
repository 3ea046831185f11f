// `npx tsx tools/bench/per-revision.ts [revisions] [rounds]`: a transaction per revision, the
// engine against its floor, interleaved: `psql -f` of the revisions' SQL with BEGIN/COMMIT around
// each revision, and the `upgrade` command alone (no Nx) with `--transaction-per-migration`, on
// N generated revisions (default 1000), best of `rounds` (default 3). The engine is the packed
// package installed in a new workspace (as `npm run bench` does; `--source` runs this
// repository's TypeScript sources instead, through tsx). The quick form of the per-revision rows
// of `npm run bench -- --only apply`, for working on that path.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SOURCE_WORKSPACE, adminQuery, createDatabase, createScratchProject, dropAfterTiming, dropLeftovers, dropTimedDatabases, installedWorkspace, medianPairedRatio } from './scratch';

const [revisions, rounds] = [Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 3)];
const source = process.argv.includes('--source');

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  const start = performance.now();
  const result = spawnSync(command, args, { cwd: SOURCE_WORKSPACE.root, env: { ...process.env, ...env }, encoding: 'utf8' });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return ms;
}

async function applied(url: string): Promise<number> {
  const [{ tables }] = await adminQuery(url, `select count(*)::int as tables from information_schema.tables where table_schema = 'public' and table_name like 'bench\\_%'`);
  return Number(tables);
}

async function main(): Promise<void> {
  await dropLeftovers();
  const workspace = source ? SOURCE_WORKSPACE : installedWorkspace();
  const project = createScratchProject(workspace, 'bench-per-revision', revisions);
  const tmp = mkdtempSync(join(tmpdir(), 'veloiq-bench-per-revision-'));
  const psql: number[] = [];
  const engine: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const side of ['psql', 'engine'] as const) {
        const db = await createDatabase(`per${side}`);
        dropAfterTiming(db);
        const ms =
          side === 'psql'
            ? run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db.url, '-f', project.perRevisionSqlFile])
            : run(
                process.execPath,
                [...(source ? ['--import', 'tsx'] : []), join(__dirname, 'engine.cjs'), workspace.commands, 'upgrade', project.root, '--transaction-per-migration'],
                // A cold transform cache, as on a fresh CI machine.
                { DATABASE_URL: db.url, TMPDIR: mkdtempSync(join(tmp, 'engine-')) },
              );
        if ((await applied(db.url)) !== revisions) throw new Error(`${side}: not every revision was applied`);
        (side === 'psql' ? psql : engine).push(ms);
      }
    }
    const best = (runs: number[]) => Math.min(...runs);
    const shown = (runs: number[]) => runs.map((ms) => (ms / 1000).toFixed(2)).join(' / ');
    console.log(`psql -f, BEGIN/COMMIT around each of ${revisions} revisions: best ${(best(psql) / 1000).toFixed(2)} s (runs ${shown(psql)} s)`);
    console.log(`engine, upgrade --transaction-per-migration: best ${(best(engine) / 1000).toFixed(2)} s (runs ${shown(engine)} s), ${(best(engine) / best(psql)).toFixed(2)}x psql (target <= 1.1x)`);
    console.log(`engine against psql in the same round, median: ${medianPairedRatio(engine, psql).toFixed(2)}x`);
    console.log(
      JSON.stringify({
        revisions,
        psqlMs: psql.map(Math.round),
        engineMs: engine.map(Math.round),
        engineVsPsql: Math.round((best(engine) / best(psql)) * 100) / 100,
        engineVsPsqlPairedMedian: medianPairedRatio(engine, psql),
      }),
    );
  } finally {
    await dropTimedDatabases();
    rmSync(tmp, { recursive: true, force: true });
    project.remove();
    if (!source) workspace.remove();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
