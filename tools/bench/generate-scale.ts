// Cold `generate` at many projects: `nx run-many -t generate` in a workspace of N database projects
// (made by our `project` generator, SCALE_ENTITIES entities each), with no local state
// (backend/.veloiq/, where the type check's stamp and build info live) and Nx's cache skipped.
// Each way of running is timed: Nx's default (a process per task, --parallel 2) and Nx's batch
// (`--batch`: one process runs every task; see src/executors/generate/batch.ts).
//
//   npx tsx tools/bench/generate-scale.ts [--projects 50] [--modes batch,default] [--source]
//
// --source runs the plugin from this repository's TypeScript sources (projects under
// tools/bench/.scratch/); by default a workspace with the packed package installed, as a user
// has it. Prints one line per figure, the machine's load beside each, and a JSON summary line.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { installedWorkspace, modelFiles, SOURCE_WORKSPACE, type BenchWorkspace } from './scratch';

const arg = (name: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
};
const PROJECTS = Number(arg('projects') ?? 50);
const MODES = (arg('modes') ?? 'batch,default').split(',') as ('batch' | 'default')[];
const SCALE_ENTITIES = 3;

interface Run {
  ms: number;
  /** CPU seconds of every process of the run (user + system), from /usr/bin/time. */
  cpuS: number;
  code: number;
  output: string;
}

/** Runs a command under /usr/bin/time, whose last stderr line is the CPU time of it and its children. */
function timed(command: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'cpu %U %S', command, ...args], {
      cwd,
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const [, user, system] = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(output) ?? [];
      resolve({ ms: performance.now() - start, cpuS: Number(user) + Number(system), code: code ?? -1, output });
    });
  });
}

async function mustRun(label: string, command: string, args: string[], cwd: string): Promise<Run> {
  const run = await timed(command, args, cwd);
  if (run.code !== 0) throw new Error(`${label} failed (exit ${run.code}):\n${run.output.slice(-3000)}`);
  return run;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

async function main(): Promise<void> {
  const workspace: BenchWorkspace = process.argv.includes('--source') ? SOURCE_WORKSPACE : installedWorkspace();
  const names = Array.from({ length: PROJECTS }, (_, i) => `gen-scale-${String(i + 1).padStart(2, '0')}`);
  const roots = names.map((name) => join(workspace.projects, name));
  const figures: Record<string, unknown> = { projects: PROJECTS, entitiesPerProject: SCALE_ENTITIES, workspace: workspace.label, nproc: cpus().length };
  try {
    for (const [k, root] of roots.entries()) {
      mkdirSync(root, { recursive: true });
      writeFileSync(join(root, 'project.json'), JSON.stringify({ name: names[k], root: relative(workspace.root, root), targets: {} }, null, 2));
    }
    // The generator's TypeScript sources need tsx in this repository; the installed package is JavaScript.
    const tsx = workspace === SOURCE_WORKSPACE ? ['--import', 'tsx'] : [];
    await mustRun('project generator', process.execPath, [...tsx, join(__dirname, 'scale-generate.cjs'), workspace.root, ...names], workspace.root);
    for (const root of roots) {
      for (const [module, text] of modelFiles(SCALE_ENTITIES, false)) {
        mkdirSync(join(root, 'backend/src/modules', module), { recursive: true });
        writeFileSync(join(root, 'backend/src/modules', module, 'models.ts'), text);
      }
    }
    console.log(`cold generate, ${PROJECTS} projects with ${SCALE_ENTITIES} entities each (${workspace.label}; ${cpus().length} cores):`);
    for (const mode of MODES) {
      for (const root of roots) rmSync(join(root, 'backend/.veloiq'), { recursive: true, force: true });
      const before = load();
      const args = ['run-many', '-t', 'generate', '--skip-nx-cache', '-p', ...names, ...(mode === 'batch' ? ['--batch'] : ['--parallel', '2'])];
      const run = await mustRun(`run-many -t generate (${mode})`, workspace.nx, args, workspace.root);
      const perProject = run.ms / PROJECTS;
      figures[mode] = { ms: Math.round(run.ms), perProjectMs: Math.round(perProject), cpuS: run.cpuS, cpuPerProjectS: Math.round((run.cpuS / PROJECTS) * 100) / 100, load: before };
      console.log(
        `  ${mode === 'batch' ? 'run-many --batch (one process)' : 'run-many --parallel 2 (a process per task)'}: ${(run.ms / 1000).toFixed(1)} s, ` +
          `${(perProject / 1000).toFixed(2)} s a project; CPU ${(run.cpuS / PROJECTS).toFixed(2)} s a project; load average before: ${before}`,
      );
    }
    console.log(JSON.stringify({ generateScale: figures }));
  } finally {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
    if (workspace !== SOURCE_WORKSPACE) workspace.remove();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
