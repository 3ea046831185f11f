import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from './errors';

/** The MikroORM config's file names, in the order they are looked for. */
export const CONFIG_NAMES = ['mikro-orm.config.ts', 'mikro-orm.config.js', 'mikro-orm.config.cjs'];

/** The files that make a folder an Nx project. */
export const PROJECT_FILES = ['project.json', 'package.json'];

export interface Project {
  /** The Nx project's root directory (absolute). */
  root: string;
  /** The directory holding the MikroORM config: `<root>/backend` or `<root>` itself. */
  backendDir: string;
  /** The MikroORM config file (absolute). */
  configPath: string;
}

/** Finds the MikroORM config in the project root or in its `backend/`. */
export function findProject(root: string): Project {
  const places = [join(root, 'backend'), root];
  for (const dir of places) {
    for (const name of CONFIG_NAMES) {
      const configPath = join(dir, name);
      if (existsSync(configPath)) return { root, backendDir: dir, configPath };
    }
  }
  throw new UserError(`No MikroORM config found: looked for ${CONFIG_NAMES[0]} in ${places.join(' and ')}. ` + `Add one there (see the @veloiq/db README).`);
}

/**
 * The project root for a directory inside a project: a `backend/` directory that holds a
 * MikroORM config belongs to its parent, so commands behave the same from either place.
 */
export function projectRootOf(dir: string): string {
  const holdsConfig = CONFIG_NAMES.some((name) => existsSync(join(dir, name)));
  return holdsConfig && basename(dir) === 'backend' ? dirname(dir) : dir;
}

/**
 * A path in the project's `.veloiq/` folder, which holds what belongs to this machine only (the
 * embedded server's data, caches). The folder carries its own `.gitignore` of `*`, so in any
 * workspace it is never committed and never part of what Nx hashes for the project's targets.
 */
export function localStatePath(project: Project, name: string): string {
  const dir = join(project.backendDir, '.veloiq');
  if (!existsSync(join(dir, '.gitignore'))) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '.gitignore'), '# Machine-local state of @veloiq/db (embedded database, caches).\n*\n');
  }
  return join(dir, name);
}
