// `npx tsx tools/bench/per-revision.ts [revisions] [rounds]`: a transaction per revision, the
// engine against its floor, interleaved: `psql -f` of the revisions' SQL with BEGIN/COMMIT around
// each revision, and the `upgrade` command alone (no Nx) with `--transaction-per-migration`, on
// N generated revisions (default 1000), best of `rounds` (default 3). The engine is the packed
// package installed in a new workspace (as `npm run bench` does; `--source` runs this
// repository's TypeScript sources instead, through tsx). Where the system Python has Alembic and
// psycopg2, Alembic 1.8 runs the same revisions in the same mode too (`transaction_per_migration`),
// the anchor the target came from. The quick form of the per-revision rows of `npm run bench --
// --only apply`, for working on that path.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SOURCE_WORKSPACE, SYSTEM_PG, adminQuery, createDatabase, createScratchProject, dropAfterTiming, dropLeftovers, dropTimedDatabases, installedWorkspace, medianPairedRatio } from './scratch';
import { PYTHON, alembicIni, alembicMissing, createAlembicProject, type AlembicProject } from './alembic';

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

type Side = 'psql' | 'engine' | 'alembic';

async function main(): Promise<void> {
  await dropLeftovers();
  const workspace = source ? SOURCE_WORKSPACE : installedWorkspace();
  const project = createScratchProject(workspace, 'bench-per-revision', revisions);
  const tmp = mkdtempSync(join(tmpdir(), 'veloiq-bench-per-revision-'));
  let alembic: AlembicProject | undefined;
  try {
    // Alembic in the same mode, the anchor the target came from; its URL is written per run.
    const alembicAbsent = alembicMissing();
    alembic = alembicAbsent ? undefined : createAlembicProject(revisions, SYSTEM_PG);
    if (alembicAbsent) console.error(`bench: no Alembic side: ${alembicAbsent}`);
    const sides: Side[] = alembic ? ['psql', 'engine', 'alembic'] : ['psql', 'engine'];
    const runs: Record<Side, number[]> = { psql: [], engine: [], alembic: [] };
    const timed = (side: Side, url: string): number => {
      if (side === 'psql') return run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', project.perRevisionSqlFile]);
      if (side === 'alembic') {
        writeFileSync(join(alembic!.dir, 'alembic.ini'), alembicIni(alembic!.dir, url));
        return run(PYTHON, [...alembic!.args, '-x', 'per_migration=1', 'upgrade', 'head']);
      }
      return run(
        process.execPath,
        [...(source ? ['--import', 'tsx'] : []), join(__dirname, 'engine.cjs'), workspace.commands, 'upgrade', project.root, '--transaction-per-migration'],
        // A cold transform cache, as on a fresh CI machine.
        { DATABASE_URL: url, TMPDIR: mkdtempSync(join(tmp, 'engine-')) },
      );
    };
    for (let round = 0; round < rounds; round++) {
      for (const side of sides) {
        const db = await createDatabase(`per${side}`);
        dropAfterTiming(db);
        runs[side].push(timed(side, db.url));
        if ((await applied(db.url)) !== revisions) throw new Error(`${side}: not every revision was applied`);
      }
    }
    const { psql, engine } = runs;
    const best = (of: number[]) => Math.min(...of);
    const shown = (of: number[]) => of.map((ms) => (ms / 1000).toFixed(2)).join(' / ');
    const against = (of: number[]) => `${(best(of) / best(psql)).toFixed(2)}x psql, ${medianPairedRatio(of, psql).toFixed(2)}x against psql in the same round (median)`;
    console.log(`psql -f, BEGIN/COMMIT around each of ${revisions} revisions: best ${(best(psql) / 1000).toFixed(2)} s (runs ${shown(psql)} s)`);
    console.log(`engine, upgrade --transaction-per-migration: best ${(best(engine) / 1000).toFixed(2)} s (runs ${shown(engine)} s), ${against(engine)}; target <= 1.1x`);
    if (alembic) console.log(`alembic upgrade head, transaction_per_migration: best ${(best(runs.alembic) / 1000).toFixed(2)} s (runs ${shown(runs.alembic)} s), ${against(runs.alembic)}`);
    console.log(
      JSON.stringify({
        revisions,
        psqlMs: psql.map(Math.round),
        engineMs: engine.map(Math.round),
        engineVsPsql: Math.round((best(engine) / best(psql)) * 100) / 100,
        engineVsPsqlPairedMedian: medianPairedRatio(engine, psql),
        ...(alembic
          ? {
              alembicMs: runs.alembic.map(Math.round),
              alembicVsPsql: Math.round((best(runs.alembic) / best(psql)) * 100) / 100,
              alembicVsPsqlPairedMedian: medianPairedRatio(runs.alembic, psql),
            }
          : {}),
      }),
    );
  } finally {
    await dropTimedDatabases();
    rmSync(tmp, { recursive: true, force: true });
    alembic?.remove();
    project.remove();
    if (!source) workspace.remove();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
