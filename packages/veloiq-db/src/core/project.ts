import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from './errors';

/** The MikroORM config's file names, in the order they are looked for. */
export const CONFIG_NAMES = ['mikro-orm.config.ts', 'mikro-orm.config.js', 'mikro-orm.config.cjs'];

/** The files that make a folder an Nx project. */
export const PROJECT_FILES = ['project.json', 'package.json'];

export interface Project {
  /** The Nx project's root directory (absolute). */
  root: string;
  /** The folder the config's relative paths are read from: `<root>/backend` for a config there, else `<root>`. */
  backendDir: string;
  /** The MikroORM config file (absolute). */
  configPath: string;
}

/** How a caller reads the project's files: the disk, or an Nx generator's tree. */
export interface FileReader {
  exists(path: string): boolean;
  read(path: string): string | undefined;
}

const DISK: FileReader = {
  exists: existsSync,
  read: (path) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined),
};

/** The TypeScript or JavaScript files (ES modules too: .mts, .mjs) the package.json's `mikro-orm.configPaths` names (MikroORM's CLI setting). */
function configPathsOf(root: string, files: FileReader): string[] {
  let settings: unknown;
  try {
    settings = JSON.parse(files.read(join(root, 'package.json')) ?? '{}')['mikro-orm']?.configPaths;
  } catch {
    return []; // a package.json that does not parse is Nx's and npm's to report
  }
  return Array.isArray(settings) ? settings.filter((path): path is string => typeof path === 'string' && /\.[cm]?[jt]s$/.test(path)) : [];
}

/**
 * Where a project's MikroORM config may be, first found wins: ours (`backend/`), then where
 * MikroORM's own CLI looks in an existing app: the package.json's `mikro-orm.configPaths`,
 * `src/mikro-orm.config.ts`, the root. Each place comes with the folder its relative paths
 * (entity globs, the migrations path) are read from, which is where MikroORM reads them: the
 * folder the CLI runs in, the project root, unless the config is ours under `backend/`.
 */
function configPlaces(root: string, files: FileReader): { configPath: string; backendDir: string }[] {
  const backend = join(root, 'backend');
  return [
    ...CONFIG_NAMES.map((name) => ({ configPath: join(backend, name), backendDir: backend })),
    ...[...configPathsOf(root, files), 'src/mikro-orm.config.ts', ...CONFIG_NAMES].map((path) => ({ configPath: join(root, path), backendDir: root })),
  ];
}

function placeOf(root: string, files: FileReader): { configPath: string; backendDir: string } | undefined {
  return configPlaces(root, files).find((place) => files.exists(place.configPath));
}

/** The project's MikroORM config file (absolute), or undefined when it has none. */
export function findConfigFile(root: string, files: FileReader = DISK): string | undefined {
  return placeOf(root, files)?.configPath;
}

/**
 * An existing MikroORM app, brought as it is (its config where MikroORM's CLI finds it): it
 * connects, and creates its database, as MikroORM does; a config of ours lives under `backend/`.
 */
export function isExistingApp(project: Project): boolean {
  return project.backendDir === project.root;
}

/** Finds the project's MikroORM config: in its `backend/`, or where MikroORM's CLI would (see configPlaces). */
export function findProject(root: string): Project {
  const place = placeOf(root, DISK);
  if (place) return { root, ...place };
  throw new UserError(
    `No MikroORM config found: looked for ${CONFIG_NAMES[0]} in ${join(root, 'backend')} and ${root} (and in src/, and for package.json's mikro-orm.configPaths). ` +
      `Add one there (see the @veloiq/db README).`,
  );
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
    try {
      mkdirSync(dir, { recursive: true });
      // Exclusive, so a link planted under that name is not followed.
      writeFileSync(join(dir, '.gitignore'), '# Machine-local state of @veloiq/db (embedded database, caches).\n*\n', { flag: 'wx' });
    } catch {
      // A folder this user may not write (another user's checkout): each use of the path says what it cannot do.
    }
  }
  return join(dir, name);
}
