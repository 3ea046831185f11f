import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** The Nx workspace holding a directory (nearest nx.json above it), or undefined outside one. */
export function workspaceRootOf(dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, 'nx.json'))) return current;
    if (dirname(current) === current) return undefined;
  }
}

/**
 * A file path as users see it in output: relative to the workspace root (what `nx run` users
 * type from), else to the directory they ran the command from, else absolute.
 */
export function shownPath(path: string, projectRoot: string, cwd: string): string {
  for (const base of [workspaceRootOf(projectRoot), cwd]) {
    if (!base) continue;
    const rel = relative(base, path);
    if (rel && !rel.startsWith('..')) return rel;
  }
  return path;
}
