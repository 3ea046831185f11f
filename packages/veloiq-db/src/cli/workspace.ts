import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { UserError } from '../core/errors';
import { workspaceRootOf } from '../core/paths';
import { findProject, PROJECT_FILES } from '../core/project';

export function findWorkspaceRoot(from: string): string {
  const root = workspaceRootOf(from);
  if (!root) throw new UserError(`No Nx workspace (nx.json) found at or above ${from}. Run veloiq inside an Nx workspace.`);
  return root;
}

export function nxBin(workspaceRoot: string): string {
  try {
    return require.resolve('nx/bin/nx', { paths: [workspaceRoot] });
  } catch {
    throw new UserError(`Nx is not installed in ${workspaceRoot}. Run 'npm install' there first.`);
  }
}

/** The project's name, from the first of its PROJECT_FILES (project.json, then package.json) the folder has. */
function projectNameIn(dir: string): string | undefined {
  const file = PROJECT_FILES.map((name) => join(dir, name)).find((path) => existsSync(path));
  if (!file) return undefined;
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  return file.endsWith('project.json') ? manifest.name : (manifest.nx?.name ?? manifest.name);
}

/**
 * Every veloiq target comes from the project's MikroORM config: without the file Nx infers none,
 * and would only say it cannot find the task. Name the file instead.
 */
function assertHasConfig(dir: string, name: string, workspaceRoot: string, target: string): void {
  try {
    findProject(dir);
  } catch {
    const where = relative(workspaceRoot, dir) || '.';
    throw new UserError(
      `Project '${name}' has no MikroORM config (looked for mikro-orm.config.ts, .js or .cjs in ${where}/backend and ${where}), so it has no '${target}' target. ` +
        `Restore the file (git checkout), or add one with 'nx g @veloiq/db:project ${name}'.`,
    );
  }
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
  if (dir) {
    const name = projectNameIn(dir)!;
    assertHasConfig(dir, name, workspaceRoot, target);
    return name;
  }
  const output = execFileSync(process.execPath, [nxBin(workspaceRoot), 'show', 'projects', '--with-target', target, '--json'], {
    cwd: workspaceRoot,
    encoding: 'utf8',
  });
  const projects: string[] = JSON.parse(output);
  if (projects.length === 1) return projects[0];
  if (projects.length === 0)
    throw new UserError(`No project in this workspace has a '${target}' target. Add a MikroORM project or run 'nx g @veloiq/db:init'.`);
  throw new UserError(`Several projects have a '${target}' target (${projects.join(', ')}): run veloiq inside one of them, or pass --project NAME.`);
}
