// `npm run bench`: how fast the db commands do their job, against the limits that matter, side
// by side in one run. Prints one line per figure and ends with one JSON summary line.
//
//   npm run bench                         everything (5-8 minutes on 2 cores)
//   npm run bench -- --only apply,noop    some sections (apply, noop, interactive, autogen, scale; generate = autogen)
//   npm run bench -- --sizes 1000         other revision counts for the apply section
//   npm run bench -- --repeat 5           runs per no-op figure (default 3; the best is reported)
//   npm run bench -- --rounds 2           interleaved apply rounds (default 3; the best is reported)
//   npm run bench -- --only scale --projects 20   the scale section at another project count (default 50)
//
// Needs the PostgreSQL on 127.0.0.1:5432 (VELOIQ_BENCH_PG to use another) and the npm cache
// `npm ci` filled; creates and drops its own databases, a workspace with the packed @veloiq/db
// installed (in a temporary folder) and scratch projects (there and under tools/bench/.scratch/).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  SOURCE_WORKSPACE,
  SYSTEM_PG,
  WORKSPACE,
  adminQuery,
  createDatabase,
  createScratchProject,
  dropAfterTiming,
  dropLeftovers,
  dropTimedDatabases,
  installedWorkspace,
  medianPairedRatio,
  modelFiles,
  revisionFile,
  revisionId,
  tableName,
  type BenchDatabase,
  type BenchWorkspace,
  type ScratchProject,
} from './scratch';
import { PYTHON, alembicMissing, createAlembicProject } from './alembic';

interface Timed {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
}

const TSX_IMPORT = ['--import', 'tsx'];
const ENGINE = join(__dirname, 'engine.cjs');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

const SECTIONS = new Set((arg('only') ?? 'apply,noop,interactive,autogen,generate,scale').split(','));
const SIZES = (arg('sizes') ?? '250,1000,2000').split(',').map(Number);
const REPEAT = Number(arg('repeat') ?? 3);
/** The size whose figures the targets are about and whose database the no-op section reads. */
const MAIN_SIZE = SIZES.includes(1000) ? 1000 : SIZES[Math.floor(SIZES.length / 2)];

/** Runs a command to completion and times it (wall clock, spawn to exit). */
function timed(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd ?? WORKSPACE,
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - start, code: code ?? -1, stdout, stderr }));
  });
}

async function mustRun(label: string, command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Timed> {
  const result = await timed(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${label} failed (exit ${result.code}):\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`);
  }
  return result;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const summary: Record<string, unknown> = {};

function line(text: string): void {
  console.log(text);
}

/** Cold transform caches (TMPDIR) of the run; removed at the end. */
const BENCH_TMP = mkdtempSync(join(tmpdir(), 'veloiq-bench-tmp-'));

/** A fresh folder for the transform caches, so an apply run compiles every revision as CI would. */
function coldTmp(label: string): string {
  return mkdtempSync(join(BENCH_TMP, `${label}-`));
}

type RunOptions = { env?: NodeJS.ProcessEnv };

/** `nx <args>` in the project's workspace. */
function nx(project: ScratchProject, label: string, args: string[], options: RunOptions = {}): Promise<Timed> {
  return mustRun(label, project.workspace.nx, args, { cwd: project.workspace.root, env: options.env });
}

/** The engine alone: the package's `upgrade`/`current` called from a bare Node process. */
function engine(project: ScratchProject, action: 'upgrade' | 'current', env: NodeJS.ProcessEnv, flags: string[] = []): Promise<Timed> {
  const { workspace } = project;
  const loader = workspace === SOURCE_WORKSPACE ? TSX_IMPORT : [];
  return mustRun(`engine ${action}`, process.execPath, [...loader, ENGINE, workspace.commands, action, project.root, ...flags], { env });
}

function rawMigrator(project: ScratchProject, action: 'up' | 'list', env: NodeJS.ProcessEnv): Promise<Timed> {
  return mustRun(`raw migrator ${action}`, process.execPath, [...TSX_IMPORT, join(__dirname, 'raw-migrator.ts'), action, project.backend], { env });
}

async function checkApplied(db: BenchDatabase, expected: number, label: string, withRecord = true): Promise<void> {
  const [{ tables }] = await adminQuery(db.url, `select count(*)::int as tables from information_schema.tables where table_schema = 'public' and table_name like 'bench\\_%'`);
  if (tables !== expected) throw new Error(`${label}: expected ${expected} tables, found ${tables}`);
  const [{ exists }] = await adminQuery(db.url, `select to_regclass('public.mikro_orm_migrations') is not null as exists`);
  if (withRecord) {
    const [{ recorded }] = exists ? await adminQuery(db.url, `select count(*)::int as recorded from mikro_orm_migrations`) : [{ recorded: 0 }];
    if (recorded !== expected) throw new Error(`${label}: expected ${expected} recorded revisions, found ${recorded}`);
  }
}

/**
 * Waits until Nx lists a scratch project. Measured: the first Nx command after a project folder
 * with ~1000 new files appears can still answer from the previous project graph.
 */
async function untilNxSees(project: ScratchProject): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const { stdout } = await nx(project, 'nx show projects', ['show', 'projects', '--json']);
    if ((JSON.parse(stdout) as string[]).includes(project.name)) return;
  }
  throw new Error(`Nx does not see the scratch project ${project.root}; is tools/bench/.scratch un-ignored in .nxignore?`);
}

/** The project graph is computed once, outside any timing; then a bare `nx run` of nx:noop. */
async function warmNx(project: ScratchProject, env: NodeJS.ProcessEnv = {}): Promise<Timed> {
  await untilNxSees(project);
  await nx(project, 'nx noop (warm-up)', ['run', `${project.name}:noop`], { env });
  return nx(project, 'nx noop', ['run', `${project.name}:noop`], { env });
}

/** Whether an Nx daemon serves this workspace now. */
async function daemonRunning(workspace: BenchWorkspace): Promise<boolean> {
  const { stdout } = await timed(workspace.nx, ['daemon'], { cwd: workspace.root, env: { NX_DAEMON: 'true' } });
  return /is currently running/i.test(stdout) && !/not running/i.test(stdout);
}

/** Runs `work` with the workspace's Nx daemon up; one this starts is stopped after. */
async function withDaemon<T>(workspace: BenchWorkspace, work: () => Promise<T>): Promise<T> {
  const started = !(await daemonRunning(workspace));
  try {
    return await work();
  } finally {
    if (started) await timed(workspace.nx, ['daemon', '--stop'], { cwd: workspace.root, env: { NX_DAEMON: 'true' } });
  }
}

const DAEMON = { NX_DAEMON: 'true' };
const IN_PROCESS = { NX_ISOLATE_PLUGINS: 'false' };

async function psqlFloor(project: ScratchProject, file: string, singleTransaction: boolean): Promise<Timed> {
  const db = await createDatabase(`floor${project.revisions}`);
  dropAfterTiming(db);
  const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...(singleTransaction ? ['--single-transaction'] : []), '-d', db.url, '-f', file];
  const result = await mustRun('psql -f', 'psql', args);
  await checkApplied(db, project.revisions, 'psql', false);
  return result;
}

async function nxUpgrade(project: ScratchProject, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ run: Timed; db: BenchDatabase }> {
  const db = await createDatabase(`nx${project.revisions}`);
  const run = await nx(project, 'nx run db-upgrade', ['run', `${project.name}:db-upgrade`, ...args], {
    env: { DATABASE_URL: db.url, TMPDIR: coldTmp(`nx${project.revisions}`), ...env },
  });
  await checkApplied(db, project.revisions, 'nx run db-upgrade');
  return { run, db };
}

interface GrowthFigures {
  revisions: number;
  psqlMs: number;
  nxMs: number;
}

/**
 * How the cost grows: N revisions, each in its own transaction (psql: BEGIN/COMMIT around each
 * revision; nx run db-upgrade --transaction-per-migration). One transaction cannot hold 2000 of
 * these tables on a stock PostgreSQL (max_locks_per_transaction = 64: "out of shared memory"),
 * for psql as for us, so the growth series commits per revision at every size.
 */
async function growthRun(project: ScratchProject): Promise<GrowthFigures> {
  await warmNx(project);
  const floor = await psqlFloor(project, project.perRevisionSqlFile, false);
  const { run, db } = await nxUpgrade(project, ['--transaction-per-migration']);
  dropAfterTiming(db);
  await dropTimedDatabases();
  const n = project.revisions;
  line(`apply ${n}, a transaction per revision: psql -f ${s(floor.ms)} | nx run db-upgrade --transaction-per-migration ${s(run.ms)} (${ratio(run.ms, floor.ms)}x psql)`);
  return { revisions: n, psqlMs: floor.ms, nxMs: run.ms };
}

/** Apply rounds of psql, nx run and the engine, interleaved. */
const APPLY_ROUNDS = Number(arg('rounds') ?? 3);

const samplesOf = (runs: Timed[]) => runs.map((r) => (r.ms / 1000).toFixed(2)).join(' / ');
const bestOf = (runs: Timed[]) => Math.min(...runs.map((r) => r.ms));

/**
 * The main comparison, at the default (one transaction for the run), on the installed package:
 * psql --single-transaction, nx run db-upgrade (daemon off, as in CI) and the engine alone, in
 * APPLY_ROUNDS interleaved rounds (other work on a shared 2-core machine makes single runs swing
 * by up to 2x: every run is printed, and ratios use the best, least disturbed, run of each);
 * then once each: with the Nx daemon (a developer's default), with NX_ISOLATE_PLUGINS=false, this
 * repository's source plugin, and the raw MikroORM migrator (one transaction too, its default
 * allOrNothing).
 */
async function applyMain(project: ScratchProject, source: ScratchProject | undefined, keep: boolean): Promise<BenchDatabase | undefined> {
  const n = project.revisions;
  const bareNx = await warmNx(project);
  const floors: Timed[] = [];
  const viaNx: Timed[] = [];
  const engines: Timed[] = [];
  let nxDb: BenchDatabase | undefined;
  const perRevisionFloors: Timed[] = [];
  const perRevisionEngines: Timed[] = [];
  const engineRun = async (label: string, flags: string[] = []): Promise<Timed> => {
    const engineDb = await createDatabase(`${label}${n}`);
    const run = await engine(project, 'upgrade', { DATABASE_URL: engineDb.url, TMPDIR: coldTmp(`${label}${n}`) }, flags);
    await checkApplied(engineDb, n, `engine upgrade ${flags.join(' ')}`);
    dropAfterTiming(engineDb);
    return run;
  };
  for (let round = 0; round < APPLY_ROUNDS; round++) {
    floors.push(await psqlFloor(project, project.sqlFile, true));
    const { run, db } = await nxUpgrade(project);
    viaNx.push(run);
    if (nxDb) dropAfterTiming(nxDb);
    nxDb = db;
    engines.push(await engineRun('engine'));
    // The same revisions, a transaction each: psql committing each revision is the floor there.
    perRevisionFloors.push(await psqlFloor(project, project.perRevisionSqlFile, false));
    perRevisionEngines.push(await engineRun('engineper', ['--transaction-per-migration']));
  }
  const { daemonRun, bareDaemon } = await withDaemon(project.workspace, async () => {
    const bare = await warmNx(project, DAEMON);
    const { run, db } = await nxUpgrade(project, [], DAEMON);
    dropAfterTiming(db);
    return { daemonRun: run, bareDaemon: bare };
  });
  // NX_ISOLATE_PLUGINS=false: Nx loads the plugins in its own process instead of a worker each.
  const bareInProcess = await warmNx(project, IN_PROCESS);
  const inProcess = await nxUpgrade(project, [], IN_PROCESS);
  dropAfterTiming(inProcess.db);
  let fromSource: Timed | undefined;
  if (source) {
    await warmNx(source);
    const { run, db } = await nxUpgrade(source);
    dropAfterTiming(db);
    fromSource = run;
  }
  const rawDb = await createDatabase(`raw${n}`);
  const raw = await rawMigrator(project, 'up', { DATABASE_URL: rawDb.url, TMPDIR: coldTmp(`raw${n}`) });
  await checkApplied(rawDb, n, 'raw migrator');
  dropAfterTiming(rawDb);
  await dropTimedDatabases();

  const floor = bestOf(floors);
  const nxMs = bestOf(viaNx);
  const engineMs = bestOf(engines);
  line(`apply ${n}, one transaction (runs: ${samplesOf(floors)} s; ratios use the best run of each):`);
  line(`  psql -f --single-transaction ${s(floor)} (the floor)`);
  line(`  nx run db-upgrade, installed package: ${s(nxMs)} (${ratio(nxMs, floor)}x psql; target <= 1.5x) | runs ${samplesOf(viaNx)} s | bare nx run ${s(bareNx.ms)}`);
  line(`  engine alone ${s(engineMs)} (${ratio(engineMs, floor)}x) | runs ${samplesOf(engines)} s`);
  const perRevisionFloor = bestOf(perRevisionFloors);
  const perRevisionEngine = bestOf(perRevisionEngines);
  line(`apply ${n}, a transaction per revision (same rounds, best of each):`);
  line(`  psql -f, BEGIN/COMMIT around each revision ${s(perRevisionFloor)} (the floor) | runs ${samplesOf(perRevisionFloors)} s`);
  const perRevisionPaired = medianPairedRatio(
    perRevisionEngines.map((r) => r.ms),
    perRevisionFloors.map((r) => r.ms),
  );
  line(
    `  engine alone --transaction-per-migration ${s(perRevisionEngine)} (${ratio(perRevisionEngine, perRevisionFloor)}x psql; target <= 1.1x; ${perRevisionPaired}x against psql in the same round, median) | runs ${samplesOf(perRevisionEngines)} s`,
  );
  line(`  with the Nx daemon, one run: ${s(daemonRun.ms)} (${ratio(daemonRun.ms, floor)}x psql) | bare nx run ${s(bareDaemon.ms)}`);
  line(`  with NX_ISOLATE_PLUGINS=false, one run: ${s(inProcess.run.ms)} (${ratio(inProcess.run.ms, floor)}x psql) | bare nx run ${s(bareInProcess.ms)}`);
  if (fromSource) line(`  in this repository, plugin from TypeScript sources, one run: ${s(fromSource.ms)} (${ratio(fromSource.ms, floor)}x psql)`);
  line(`  raw MikroORM migrator, one run: ${s(raw.ms)} (${ratio(raw.ms, floor)}x; beat it)`);
  summary.apply = {
    revisions: n,
    psqlMs: Math.round(floor),
    psqlRunsMs: floors.map((r) => Math.round(r.ms)),
    nxRunMs: Math.round(nxMs),
    nxRunsMs: viaNx.map((r) => Math.round(r.ms)),
    nxVsPsql: ratio(nxMs, floor),
    bareNxMs: Math.round(bareNx.ms),
    engineMs: Math.round(engineMs),
    engineRunsMs: engines.map((r) => Math.round(r.ms)),
    engineVsPsql: ratio(engineMs, floor),
    nxRunDaemonMs: Math.round(daemonRun.ms),
    nxDaemonVsPsql: ratio(daemonRun.ms, floor),
    bareNxDaemonMs: Math.round(bareDaemon.ms),
    nxRunInProcessPluginsMs: Math.round(inProcess.run.ms),
    nxInProcessPluginsVsPsql: ratio(inProcess.run.ms, floor),
    bareNxInProcessPluginsMs: Math.round(bareInProcess.ms),
    nxRunFromSourceMs: fromSource ? Math.round(fromSource.ms) : null,
    nxFromSourceVsPsql: fromSource ? ratio(fromSource.ms, floor) : null,
    rawMigratorMs: Math.round(raw.ms),
    rawVsPsql: ratio(raw.ms, floor),
    perRevisionPsqlMs: Math.round(perRevisionFloor),
    perRevisionPsqlRunsMs: perRevisionFloors.map((r) => Math.round(r.ms)),
    perRevisionEngineMs: Math.round(perRevisionEngine),
    perRevisionEngineRunsMs: perRevisionEngines.map((r) => Math.round(r.ms)),
    perRevisionEngineVsPsql: ratio(perRevisionEngine, perRevisionFloor),
    perRevisionEngineVsPsqlPairedMedian: perRevisionPaired,
  };
  if (keep) return nxDb;
  await nxDb!.drop();
  return undefined;
}

/** A database with every revision of `project` applied by the engine (not timed). */
async function engineUpgraded(project: ScratchProject): Promise<BenchDatabase> {
  await warmNx(project);
  const db = await createDatabase(`main${project.revisions}`);
  await engine(project, 'upgrade', { DATABASE_URL: db.url });
  await checkApplied(db, project.revisions, 'engine upgrade');
  return db;
}

/** db-current on an up-to-date database, several ways, best of REPEAT runs each. */
async function noopSection(project: ScratchProject, source: ScratchProject | undefined, db: BenchDatabase): Promise<void> {
  const env = { DATABASE_URL: db.url };
  const daemonEnv = { ...env, ...DAEMON };
  const ways: [string, () => Promise<Timed>][] = [
    ['bare nx run', () => nx(project, 'nx noop', ['run', `${project.name}:noop`], { env })],
    ['nx run db-current', () => nx(project, 'nx run db-current', ['run', `${project.name}:db-current`], { env })],
    ['bare nx run, daemon', () => nx(project, 'nx noop (daemon)', ['run', `${project.name}:noop`], { env: daemonEnv })],
    ['nx run db-current, daemon', () => nx(project, 'nx run db-current (daemon)', ['run', `${project.name}:db-current`], { env: daemonEnv })],
    ['veloiq db current', () => mustRun('veloiq db current', project.workspace.veloiq, ['db', 'current'], { cwd: project.root, env })],
    ['engine current alone', () => engine(project, 'current', env)],
    ['raw migrator listing', () => rawMigrator(project, 'list', env)],
  ];
  if (source) {
    ways.push(
      ['bare nx run, this repository', () => nx(source, 'nx noop (repository)', ['run', `${source.name}:noop`], { env })],
      ['nx run db-current, this repository', () => nx(source, 'nx run db-current (repository)', ['run', `${source.name}:db-current`], { env })],
    );
  }
  // Interleaved, so a slow moment of the machine spreads over every way instead of one.
  const samples = new Map<string, number[]>(ways.map(([name]) => [name, []]));
  // The daemon is Nx's default outside CI; it runs for the whole section, as on a developer's machine.
  await withDaemon(project.workspace, async () => {
    for (const [, run] of ways) await run(); // warm the transform caches, the project graph, the daemon
    for (let i = 0; i < REPEAT; i++) {
      for (const [name, run] of ways) samples.get(name)!.push((await run()).ms);
    }
  });
  // The best of the runs: on a shared machine the least disturbed run is the honest cost.
  const best = (name: string) => Math.min(...samples.get(name)!);
  const bare = best('bare nx run');
  const raw = best('raw migrator listing');
  const viaNx = best('nx run db-current');
  const engineMs = best('engine current alone');
  const bareDaemon = best('bare nx run, daemon');
  const viaNxDaemon = best('nx run db-current, daemon');
  const veloiq = best('veloiq db current');
  line(`no-op current (${project.revisions} revisions, at head, best of ${REPEAT}; installed package):`);
  line(`  raw migrator listing ${s(raw)} | engine current alone ${s(engineMs)} (${ratio(engineMs, raw)}x the raw listing; target <= 1.3x)`);
  line(`  nx run db-current ${s(viaNx)} (${ratio(viaNx, bare + raw)}x bare nx run ${s(bare)} + raw listing; target <= 1.3x)`);
  line(`  with the Nx daemon: nx run db-current ${s(viaNxDaemon)} (${ratio(viaNxDaemon, bareDaemon + raw)}x bare nx run ${s(bareDaemon)} + raw listing; target <= 1.3x)`);
  line(`  veloiq db current ${s(veloiq)} (${ratio(veloiq, bare + raw)}x bare nx run + raw listing)`);
  summary.noop = {
    revisions: project.revisions,
    rawMigratorListMs: Math.round(raw),
    engineCurrentMs: Math.round(engineMs),
    engineRatio: ratio(engineMs, raw),
    bareNxMs: Math.round(bare),
    nxRunCurrentMs: Math.round(viaNx),
    nxRatio: ratio(viaNx, bare + raw),
    bareNxDaemonMs: Math.round(bareDaemon),
    nxRunCurrentDaemonMs: Math.round(viaNxDaemon),
    nxDaemonRatio: ratio(viaNxDaemon, bareDaemon + raw),
    veloiqCurrentMs: Math.round(veloiq),
  };
  if (source) {
    const bareSource = best('bare nx run, this repository');
    const viaSource = best('nx run db-current, this repository');
    line(`  this repository, plugin from TypeScript sources: nx run db-current ${s(viaSource)} (${ratio(viaSource, bareSource + raw)}x bare nx run ${s(bareSource)} + raw listing)`);
    summary.noop = { ...(summary.noop as object), bareNxFromSourceMs: Math.round(bareSource), nxRunCurrentFromSourceMs: Math.round(viaSource), nxFromSourceRatio: ratio(viaSource, bareSource + raw) };
  }
}

/**
 * At the keyboard: `veloiq db current`, `history` and `heads` (the fast path: no Nx task) beside real
 * Alembic's `alembic current` / `history` / `heads` on an equivalent project and database (the same 1000
 * revisions, applied), and the same commands through `nx run` with and without the daemon.
 * Interleaved, best of REPEAT runs each, after one warm-up run of each (Python's .pyc files,
 * tsx's and Nx's caches).
 */
async function interactiveSection(project: ScratchProject, db: BenchDatabase): Promise<void> {
  const missing = alembicMissing();
  if (missing) throw new Error(`interactive section: ${missing}`);
  const alembicDb = await createDatabase(`alembic${project.revisions}`);
  const alembic = createAlembicProject(project.revisions, alembicDb.url);
  try {
    await mustRun('psql -f (alembic database)', 'psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-d', alembicDb.url, '-f', project.sqlFile]);
    await mustRun('alembic stamp head', PYTHON, [...alembic.args, 'stamp', 'head']);
    const env = { DATABASE_URL: db.url };
    const veloiq =
      (label: string, sub: string, extra: NodeJS.ProcessEnv = {}) =>
      () =>
        mustRun(label, project.workspace.veloiq, ['db', sub], { cwd: project.root, env: { ...env, ...extra } });
    const alembicRun =
      (...sub: string[]) =>
      () =>
        mustRun(`alembic ${sub.join(' ')}`, PYTHON, [...alembic.args, ...sub], { cwd: alembic.dir });
    const ways: [string, () => Promise<Timed>][] = [
      ['alembic current', alembicRun('current')],
      ['veloiq db current', veloiq('veloiq db current', 'current')],
      ['alembic history', alembicRun('history')],
      ['veloiq db history', veloiq('veloiq db history', 'history')],
      // Plain `alembic history` reads no database; ours also marks what is applied and current.
      ['alembic history --indicate-current', alembicRun('history', '--indicate-current')],
      ['veloiq db current via nx run', veloiq('veloiq db current (nx run)', 'current', { VELOIQ_NO_FAST_PATH: '1' })],
      ['veloiq db current via nx run, daemon', veloiq('veloiq db current (nx run, daemon)', 'current', { VELOIQ_NO_FAST_PATH: '1', ...DAEMON })],
      ['veloiq db history via nx run', veloiq('veloiq db history (nx run)', 'history', { VELOIQ_NO_FAST_PATH: '1' })],
      ['veloiq db history via nx run, daemon', veloiq('veloiq db history (nx run, daemon)', 'history', { VELOIQ_NO_FAST_PATH: '1', ...DAEMON })],
      ['alembic heads', alembicRun('heads')],
      ['veloiq db heads', veloiq('veloiq db heads', 'heads')],
      ['engine current alone', () => engine(project, 'current', env)],
    ];
    const samples = new Map<string, number[]>(ways.map(([name]) => [name, []]));
    await withDaemon(project.workspace, async () => {
      for (const [, run] of ways) await run();
      for (let i = 0; i < REPEAT; i++) for (const [name, run] of ways) samples.get(name)!.push((await run()).ms);
    });
    const best = (name: string) => Math.min(...samples.get(name)!);
    const figures = {
      revisions: project.revisions,
      alembicCurrentMs: Math.round(best('alembic current')),
      veloiqCurrentMs: Math.round(best('veloiq db current')),
      currentVsAlembic: ratio(best('veloiq db current'), best('alembic current')),
      alembicHistoryMs: Math.round(best('alembic history')),
      veloiqHistoryMs: Math.round(best('veloiq db history')),
      historyVsAlembic: ratio(best('veloiq db history'), best('alembic history')),
      alembicHistoryIndicateCurrentMs: Math.round(best('alembic history --indicate-current')),
      historyVsAlembicIndicateCurrent: ratio(best('veloiq db history'), best('alembic history --indicate-current')),
      nxRunCurrentMs: Math.round(best('veloiq db current via nx run')),
      nxRunCurrentDaemonMs: Math.round(best('veloiq db current via nx run, daemon')),
      nxRunHistoryMs: Math.round(best('veloiq db history via nx run')),
      nxRunHistoryDaemonMs: Math.round(best('veloiq db history via nx run, daemon')),
      alembicHeadsMs: Math.round(best('alembic heads')),
      veloiqHeadsMs: Math.round(best('veloiq db heads')),
      headsVsAlembic: ratio(best('veloiq db heads'), best('alembic heads')),
      engineCurrentMs: Math.round(best('engine current alone')),
    };
    line(`interactive (${project.revisions} revisions applied, best of ${REPEAT}; installed package, fast path):`);
    line(`  alembic current ${s(figures.alembicCurrentMs)} | veloiq db current ${s(figures.veloiqCurrentMs)} (${figures.currentVsAlembic}x alembic; target <= 1.5x)`);
    line(
      `  alembic history ${s(figures.alembicHistoryMs)} | veloiq db history ${s(figures.veloiqHistoryMs)} (${figures.historyVsAlembic}x alembic; target <= 1.5x) | alembic history --indicate-current (reads the database too) ${s(figures.alembicHistoryIndicateCurrentMs)} (${figures.historyVsAlembicIndicateCurrent}x)`,
    );
    line(`  alembic heads ${s(figures.alembicHeadsMs)} | veloiq db heads ${s(figures.veloiqHeadsMs)} (${figures.headsVsAlembic}x alembic)`);
    line(
      `  through nx run (VELOIQ_NO_FAST_PATH=1): current ${s(figures.nxRunCurrentMs)}, with the daemon ${s(figures.nxRunCurrentDaemonMs)} | history ${s(figures.nxRunHistoryMs)}, with the daemon ${s(figures.nxRunHistoryDaemonMs)} | engine current alone ${s(figures.engineCurrentMs)}`,
    );
    summary.interactive = figures;
  } finally {
    alembic.remove();
    await alembicDb.drop();
  }
}

/** Projects in the scale section (`--projects N`), each with SCALE_ENTITIES entities and as many revisions. */
const SCALE_PROJECTS = Number(arg('projects') ?? 50);
const SCALE_ENTITIES = 3;

/** Tasks Nx ran (project:target), and how many of them it read from a cache. */
function tasksOf(output: string): { tasks: number; hits: number; names: string[] } {
  // Nx 23 prints a line per task, `> nx run p:t` or (a success, collapsed) `✔  nx run p:t  [local cache]`.
  const lines = output.split('\n').filter((l) => /^(\S+\s+)?>?\s*nx run \S+:\S+/.test(l.trim()));
  const nameOf = (l: string) => /nx run (\S+:\S+)/.exec(l)![1];
  const names = [...new Set(lines.map(nameOf))];
  const hits = new Set(lines.filter((l) => /cache\]|existing outputs match the cache/.test(l)).map(nameOf));
  return { tasks: names.length, hits: hits.size, names };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/**
 * Fifty database projects in one workspace, each given its database by our `project` generator,
 * with SCALE_ENTITIES entities and the revisions that create them: what the plugin costs the
 * project graph, `nx affected` after one entity change, a fully cached re-run, a cold
 * `run-many -t generate`, and `run-many -t db-upgrade` at --parallel 1, 2 and 4 on one
 * PostgreSQL server (a database per project) and on the embedded default (a server per project).
 */
async function scaleSection(workspace: BenchWorkspace): Promise<void> {
  const names = Array.from({ length: SCALE_PROJECTS }, (_, i) => `scale-${String(i + 1).padStart(2, '0')}`);
  const roots = names.map((name) => join(workspace.root, 'apps', name));
  const dbs: BenchDatabase[] = [];
  const run = (label: string, args: string[], env: NodeJS.ProcessEnv = {}) => mustRun(label, workspace.nx, args, { cwd: workspace.root, env });
  // Other work on the machine moves every absolute figure: the 1-minute load average, every 10 s.
  const loads: number[] = [loadavg()[0]];
  const sampler = setInterval(() => loads.push(loadavg()[0]), 10_000);
  try {
    for (const [k, root] of roots.entries()) {
      mkdirSync(root, { recursive: true });
      writeFileSync(join(root, 'project.json'), JSON.stringify({ name: names[k], root: relative(workspace.root, root), targets: {} }, null, 2));
    }
    await mustRun('project generator', process.execPath, [join(__dirname, 'scale-generate.cjs'), workspace.root, ...names]);
    for (const root of roots) {
      for (const [module, text] of modelFiles(SCALE_ENTITIES, false)) {
        mkdirSync(join(root, 'backend/src/modules', module), { recursive: true });
        writeFileSync(join(root, 'backend/src/modules', module, 'models.ts'), text);
      }
      for (let i = 1; i <= SCALE_ENTITIES; i++) writeFileSync(join(root, 'backend/migrations', `${revisionId(i)}_create_${tableName(i)}_table.ts`), revisionFile(i));
    }

    // The project graph, computed (not read from Nx's graph cache), with and without our plugin.
    const graph = async () => (await run('nx show projects', ['show', 'projects', '--json'], { NX_CACHE_PROJECT_GRAPH: 'false' })).ms;
    const nxJsonPath = join(workspace.root, 'nx.json');
    const nxJson = readFileSync(nxJsonPath, 'utf8');
    const withPlugin = Math.min(await graph(), await graph());
    writeFileSync(nxJsonPath, JSON.stringify({ ...JSON.parse(nxJson), plugins: [] }, null, 2));
    const withoutPlugin = Math.min(await graph(), await graph());
    writeFileSync(nxJsonPath, nxJson);
    line(`scale (${SCALE_PROJECTS} projects): project graph ${s(withPlugin)} with the plugin, ${s(withoutPlugin)} without | load ${load()}`);

    // One database per project on the system server, named in the project's backend/.env.pg.
    for (const [k, root] of roots.entries()) {
      const db = await createDatabase(`scale${k + 1}`);
      dbs.push(db);
      writeFileSync(join(root, 'backend/.env.pg'), `DATABASE_URL=${db.url}\n`);
    }
    const pg = ['--envFile=.env.pg'];
    const cacheEnv = { NX_CACHE_DIRECTORY: join(workspace.root, '.nx', 'scale-cache') };

    // Cold generate, both ways Nx runs it: a process per task, and `--batch` (one process type-checks
    // every project's entities in one program). No local state (the type check's pass stamps in
    // backend/.veloiq/) and Nx's cache skipped, each time.
    const coldGenerate = async (label: string, mode: string[]) => {
      for (const root of roots) rmSync(join(root, 'backend/.veloiq'), { recursive: true, force: true });
      return run(`run-many -t generate ${label} (cold)`, ['run-many', '-t', 'generate', '--skip-nx-cache', ...mode], cacheEnv);
    };
    const generate = await coldGenerate('--parallel 2', ['--parallel', '2']);
    const generateTasks = tasksOf(generate.stdout).tasks;
    line(`  cold run-many -t generate --parallel 2 (a process per task): ${s(generate.ms)}, ${generateTasks} tasks | load ${load()}`);
    const generateBatch = await coldGenerate('--batch', ['--batch']);
    line(`  cold run-many -t generate --batch (one process): ${s(generateBatch.ms)} | load ${load()}`);
    await run('run-many -t db-check (fills the cache)', ['run-many', '-t', 'db-check', ...pg], cacheEnv);
    // Committed once generate has written its files: `affected` then sees the one change below.
    await mustRun('git add', 'git', ['add', '-A'], { cwd: workspace.root });
    await mustRun('git commit', 'git', ['-c', 'user.email=bench@veloiq', '-c', 'user.name=bench', 'commit', '-qm', 'scale projects'], { cwd: workspace.root });
    // One entity file of one project changes (a comment: the schema, and so db-check, stay green).
    const changed = roots[Math.floor(roots.length / 2)];
    for (const [module, text] of modelFiles(SCALE_ENTITIES, false, `${process.pid}`)) writeFileSync(join(changed, 'backend/src/modules', module, 'models.ts'), text);
    const affected = await run('nx affected -t db-check', ['affected', '-t', 'db-check', '--base=HEAD', ...pg], cacheEnv);
    const affectedAgain = await run('nx affected -t db-check (again)', ['affected', '-t', 'db-check', '--base=HEAD', ...pg], cacheEnv);
    const first = tasksOf(affected.stdout);
    const again = tasksOf(affectedAgain.stdout);
    // One project changed: its db-check and the generate it depends on, nothing of the other projects.
    const changedName = names[roots.indexOf(changed)];
    const strangers = first.names.filter((task) => !task.startsWith(`${changedName}:`));
    if (strangers.length > 0) throw new Error(`nx affected ran tasks of unchanged projects (${strangers.join(', ')}):\n${affected.stdout}`);
    if (again.tasks === 0 || again.tasks !== again.hits) throw new Error(`the second affected run was not all cache hits:\n${affectedAgain.stdout}`);
    line(
      `  nx affected -t db-check after one entity change: ${first.tasks} tasks (${first.names.join(', ')}; ${first.hits} from the cache) ${s(affected.ms)} | again: ${again.tasks} tasks, ${again.hits} from the cache, ${s(affectedAgain.ms)} | load ${load()}`,
    );

    const upgrades: Record<string, number> = {};
    let embeddedError: string | undefined;
    for (const parallel of [1, 2, 4]) {
      for (const db of dbs) {
        await adminQuery(SYSTEM_PG, `drop database if exists "${db.name}" with (force)`);
        await adminQuery(SYSTEM_PG, `create database "${db.name}"`);
      }
      upgrades[`dbUpgradeServerParallel${parallel}Ms`] = Math.round(
        (await run(`run-many db-upgrade --parallel ${parallel}`, ['run-many', '-t', 'db-upgrade', '--parallel', String(parallel), ...pg])).ms,
      );
      line(`  run-many -t db-upgrade --parallel ${parallel}, one PostgreSQL server: ${s(upgrades[`dbUpgradeServerParallel${parallel}Ms`])} | load ${load()}`);
      // The embedded default can fail where the PostgreSQL binaries are not runnable (an install
      // that skipped their package's script): the other figures are kept and the reason is shown.
      try {
        const embedded = await run(`run-many db-upgrade --parallel ${parallel} (embedded)`, ['run-many', '-t', 'db-upgrade', '--parallel', String(parallel)]);
        upgrades[`dbUpgradeEmbeddedParallel${parallel}Ms`] = Math.round(embedded.ms);
        line(`  the same on the embedded default (a server per project): ${s(embedded.ms)} | load ${load()}`);
      } catch (error) {
        embeddedError = /EACCES[^\n]*|Error: [^\n]*/.exec(String(error))?.[0] ?? 'failed';
        line(`  the same on the embedded default: failed (${embeddedError})`);
      }
      for (const root of roots) rmSync(join(root, 'backend/.veloiq'), { recursive: true, force: true });
    }
    clearInterval(sampler);
    const figures = {
      projects: SCALE_PROJECTS,
      entitiesPerProject: SCALE_ENTITIES,
      graphWithPluginMs: Math.round(withPlugin),
      graphWithoutPluginMs: Math.round(withoutPlugin),
      graphPluginRatio: ratio(withPlugin, withoutPlugin),
      generateColdProcessPerTaskMs: Math.round(generate.ms),
      generateColdProcessPerTaskPerProjectMs: Math.round(generate.ms / SCALE_PROJECTS),
      generateColdTasks: generateTasks,
      generateColdBatchMs: Math.round(generateBatch.ms),
      generateColdBatchPerProjectMs: Math.round(generateBatch.ms / SCALE_PROJECTS),
      affectedCheckMs: Math.round(affected.ms),
      affectedCheckTasksRan: first.tasks,
      affectedCheckTasksFromCache: first.hits,
      affectedCheckTaskNames: first.names,
      affectedCheckAgainMs: Math.round(affectedAgain.ms),
      affectedCheckAgainTasksRan: again.tasks,
      affectedCheckAgainTasksFromCache: again.hits,
      ...upgrades,
      embeddedError: embeddedError ?? null,
      loadAverage1m: { min: Math.min(...loads), max: Math.max(...loads), mean: Math.round((loads.reduce((a, b) => a + b, 0) / loads.length) * 10) / 10 },
    };
    const { min, max, mean } = figures.loadAverage1m;
    line(`scale (${SCALE_PROJECTS} projects, ${SCALE_ENTITIES} entities and revisions each; installed package; 1-minute load average ${min}-${max}, mean ${mean}):`);
    line(`  project graph ${s(withPlugin)} with the plugin, ${s(withoutPlugin)} without (${figures.graphPluginRatio}x)`);
    line(
      `  cold run-many -t generate: a process per task (--parallel 2) ${s(generate.ms)}, ${s(generate.ms / SCALE_PROJECTS)} a project | --batch ${s(generateBatch.ms)}, ${s(generateBatch.ms / SCALE_PROJECTS)} a project (target well under 1 s)`,
    );
    line(
      `  nx affected -t db-check after one entity change: ${first.tasks} tasks (${first.hits} from the cache), ${s(affected.ms)} | again: ${again.tasks} tasks, all cache hits, ${s(affectedAgain.ms)}`,
    );
    const perParallel = (where: string) =>
      [1, 2, 4].map((p) => `--parallel ${p} ${upgrades[`dbUpgrade${where}Parallel${p}Ms`] === undefined ? 'failed' : s(upgrades[`dbUpgrade${where}Parallel${p}Ms`])}`).join(', ');
    line(`  run-many -t db-upgrade, one PostgreSQL server: ${perParallel('Server')}`);
    line(`  the same, embedded default (a server per project): ${perParallel('Embedded')}`);
    summary.scale = figures;
  } finally {
    clearInterval(sampler);
    for (const db of dbs) await db.drop();
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  }
}

const ENTITIES = 200;
const NX_CACHE_HIT = /read the output from the cache|\[local cache\]|existing outputs match the cache/i;

/**
 * Autogenerate and the generate cache on a 200-entity project: generate (first run, a miss),
 * generate again (a hit), db-migrate with one changed column (generate runs first and misses),
 * generate after a change (a miss). db-migrate here is the real path: `nx run`, generate first.
 */
async function autogenSection(workspace: BenchWorkspace): Promise<ScratchProject> {
  const salt = `${process.pid}-${Date.now()}`;
  const project = createScratchProject(workspace, 'bench-autogen', 0, ENTITIES, salt);
  await untilNxSees(project);
  const db = await createDatabase('autogen');
  const env = { DATABASE_URL: db.url };
  const run = (label: string, args: string[]) => nx(project, label, args, { env });
  try {
    const firstGenerate = await run('generate (first)', ['run', `${project.name}:generate`]);
    const hit = await run('generate (unchanged)', ['run', `${project.name}:generate`]);
    if (!NX_CACHE_HIT.test(hit.stdout)) throw new Error(`generate on an unchanged project was not an Nx cache hit:\n${hit.stdout}`);
    const initial = await run('db-migrate (all tables)', ['run', `${project.name}:db-migrate`, '-m', `create the ${ENTITIES} tables`]);
    await run('db-upgrade', ['run', `${project.name}:db-upgrade`]);

    project.writeEntities(ENTITIES, true, salt);
    const migrate = await run('db-migrate (one changed column)', ['run', `${project.name}:db-migrate`, '-m', 'widen bench_00001 name']);
    const written = readdirSync(project.migrations).filter((f) => f.includes('widen_bench_00001_name'));
    const body = written.length === 1 ? readFileSync(join(project.migrations, written[0]), 'utf8') : '';
    if (!/varchar\(255\)/.test(body)) throw new Error(`db-migrate did not write the one change (${written.join(', ') || 'no file'}):\n${migrate.stdout}`);
    const changedTables = new Set([...body.matchAll(/alter table "(\w+)"/g)].map((m) => m[1]));
    if (changedTables.size !== 1) throw new Error(`db-migrate changed ${changedTables.size} tables, expected 1:\n${body}`);

    // The same with the Nx daemon, a developer's default: the column back to 200. The daemon
    // takes in the edit before the command, as it does while a developer types it.
    await run('db-upgrade', ['run', `${project.name}:db-upgrade`]);
    const daemonEnv = { ...env, ...DAEMON };
    const daemonMigrate = await withDaemon(project.workspace, async () => {
      await nx(project, 'generate (daemon warm-up)', ['run', `${project.name}:generate`], { env: daemonEnv });
      project.writeEntities(ENTITIES, false, `${salt}-back`);
      await nx(project, 'nx show projects (daemon takes in the edit)', ['show', 'projects'], { env: daemonEnv });
      return nx(project, 'db-migrate (daemon)', ['run', `${project.name}:db-migrate`, '-m', 'narrow bench_00001 name'], { env: daemonEnv });
    });
    if (!readdirSync(project.migrations).some((f) => f.includes('narrow_bench_00001_name'))) throw new Error(`db-migrate with the daemon wrote no revision:\n${daemonMigrate.stdout}`);

    // And with the plugins in Nx's own process: the column widened again.
    await run('db-upgrade', ['run', `${project.name}:db-upgrade`]);
    project.writeEntities(ENTITIES, true, `${salt}-again`);
    const inProcessMigrate = await nx(project, 'db-migrate (in-process plugins)', ['run', `${project.name}:db-migrate`, '-m', 'widen bench_00001 name again'], { env: { ...env, ...IN_PROCESS } });
    if (!readdirSync(project.migrations).some((f) => f.includes('widen_bench_00001_name_again'))) throw new Error(`db-migrate with in-process plugins wrote no revision:\n${inProcessMigrate.stdout}`);

    const hitAgain = await run('generate (unchanged)', ['run', `${project.name}:generate`]);
    project.writeEntities(ENTITIES, true, `${salt}-changed`);
    const miss = await run('generate (after a change)', ['run', `${project.name}:generate`]);
    if (NX_CACHE_HIT.test(miss.stdout)) throw new Error(`generate after a change was a cache hit:\n${miss.stdout}`);

    const hitMs = Math.min(hit.ms, hitAgain.ms);
    line(
      `autogenerate (${ENTITIES} entities, ${ENTITIES / 10} modules; installed package): nx run db-migrate with one changed column ${s(migrate.ms)} (generate runs first and misses; target < 5 s) | from empty, all ${ENTITIES} tables ${s(initial.ms)}`,
    );
    line(`  the same with the Nx daemon (the edit taken in before the command): ${s(daemonMigrate.ms)}`);
    line(`  the same with NX_ISOLATE_PLUGINS=false: ${s(inProcessMigrate.ms)}`);
    line(`generate cache (${ENTITIES} entities): hit ${s(hitMs)} | miss after a change ${s(miss.ms)} | first run ${s(firstGenerate.ms)}`);
    summary.autogenerate = {
      entities: ENTITIES,
      migrateOneColumnMs: Math.round(migrate.ms),
      migrateOneColumnDaemonMs: Math.round(daemonMigrate.ms),
      migrateOneColumnInProcessPluginsMs: Math.round(inProcessMigrate.ms),
      migrateFromEmptyMs: Math.round(initial.ms),
    };
    summary.generate = { entities: ENTITIES, hitMs: Math.round(hitMs), missAfterChangeMs: Math.round(miss.ms), firstRunMs: Math.round(firstGenerate.ms) };
  } finally {
    await db.drop();
  }
  return project;
}

function machine(): { nproc: number; cpu: string; node: string } {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  return {
    nproc: cpus().length,
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown',
    node: process.version,
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  await dropLeftovers();
  const [{ server_version }] = await adminQuery(SYSTEM_PG, 'show server_version');
  const info = { ...machine(), postgres: String(server_version) };
  summary.machine = info;
  line(`machine: ${info.nproc} cores, ${info.cpu}, node ${info.node}, PostgreSQL ${info.postgres}; Nx daemon off unless a line says otherwise`);

  const installing = performance.now();
  const installed = installedWorkspace();
  line(`installed workspace: @veloiq/db packed and installed with nx in ${s(performance.now() - installing)} (not part of any figure)`);
  const workspaces = [installed, SOURCE_WORKSPACE];
  try {
    let mainDb: BenchDatabase | undefined;
    let mainProject: ScratchProject | undefined;
    let sourceProject: ScratchProject | undefined;
    const readsMain = SECTIONS.has('noop') || SECTIONS.has('interactive');
    if (SECTIONS.has('apply') || readsMain) {
      const sizes = SECTIONS.has('apply') ? SIZES : [MAIN_SIZE];
      const growth: GrowthFigures[] = [];
      for (const n of sizes) {
        const project = createScratchProject(installed, `bench-apply-${n}`, n);
        if (SECTIONS.has('apply')) growth.push(await growthRun(project));
        if (n === MAIN_SIZE) {
          mainProject = project;
          sourceProject = createScratchProject(SOURCE_WORKSPACE, `bench-apply-${n}`, n);
          mainDb = SECTIONS.has('apply') ? await applyMain(project, sourceProject, readsMain) : await engineUpgraded(project);
        } else {
          project.remove();
        }
      }
      if (growth.length > 0) {
        const perRevision = growth.map((f) => `${f.revisions}: ${(f.nxMs / f.revisions).toFixed(2)} ms (psql ${(f.psqlMs / f.revisions).toFixed(2)} ms)`).join(', ');
        line(`cost per revision through nx run, a transaction per revision: ${perRevision}`);
        summary.growth = growth.map((f) => ({ revisions: f.revisions, psqlMs: Math.round(f.psqlMs), nxRunMs: Math.round(f.nxMs), nxVsPsql: ratio(f.nxMs, f.psqlMs) }));
      }
    }
    if (mainDb && mainProject) {
      if (SECTIONS.has('noop')) await noopSection(mainProject, sourceProject, mainDb);
      if (SECTIONS.has('interactive')) await interactiveSection(mainProject, mainDb);
      await mainDb.drop();
    }
    if (SECTIONS.has('autogen') || SECTIONS.has('generate')) await autogenSection(installed);
    if (SECTIONS.has('scale')) await scaleSection(installed);
  } finally {
    for (const workspace of workspaces) workspace.remove();
    rmSync(BENCH_TMP, { recursive: true, force: true });
    await dropLeftovers();
  }
  summary.totalSeconds = Math.round((performance.now() - started) / 1000);
  console.log(JSON.stringify(summary));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
