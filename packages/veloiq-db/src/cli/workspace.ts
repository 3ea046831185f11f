import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors';

export function findWorkspaceRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new UserError(`No Nx workspace (nx.json) found at or above ${from}. Run veloiq inside an Nx workspace.`);
  }
}

export function nxBin(workspaceRoot: string): string {
  try {
    return require.resolve('nx/bin/nx', { paths: [workspaceRoot] });
  } catch {
    throw new UserError(`Nx is not installed in ${workspaceRoot}. Run 'npm install' there first.`);
  }
}

function projectNameIn(dir: string): string | undefined {
  const projectJson = join(dir, 'project.json');
  if (existsSync(projectJson)) return JSON.parse(readFileSync(projectJson, 'utf8')).name;
  const packageJson = join(dir, 'package.json');
  if (existsSync(packageJson)) {
    const pkg = JSON.parse(readFileSync(packageJson, 'utf8'));
    return pkg.nx?.name ?? pkg.name;
  }
  return undefined;
}

/** The folder of the project that contains `cwd` (below the workspace root), if any. */
export function findProjectDir(cwd: string, workspaceRoot: string): string | undefined {
  for (let dir = cwd; dir !== workspaceRoot && dir.startsWith(workspaceRoot); dir = dirname(dir)) {
    if (projectNameIn(dir)) return dir;
  }
  return undefined;
}

/**
 * The Nx project to run: the one whose folder contains `cwd`; from the workspace root, the only
 * project that has the target.
 */
export function resolveProject(cwd: string, workspaceRoot: string, target: string): string {
  const dir = findProjectDir(cwd, workspaceRoot);
  if (dir) return projectNameIn(dir)!;
  const output = execFileSync(process.execPath, [nxBin(workspaceRoot), 'show', 'projects', '--with-target', target, '--json'], {
    cwd: workspaceRoot,
    encoding: 'utf8',
  });
  const projects: string[] = JSON.parse(output);
  if (projects.length === 1) return projects[0];
  if (projects.length === 0) throw new UserError(`No project in this workspace has a '${target}' target. Add a MikroORM project or run 'nx g @veloiq/db:init'.`);
  throw new UserError(`Several projects have a '${target}' target (${projects.join(', ')}): run veloiq inside one of them, or pass --project NAME.`);
}
