import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { Options } from '@mikro-orm/core';
import type { Project } from './project';

/** The folder at or above `dir` whose package.json npm scripts (and so MikroORM's CLI) run in. */
function packageDirOf(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'package.json'))) return at;
    if (dirname(at) === at) return undefined;
  }
}

/** The config's relative paths: entity folders and globs, the migrations and seeders folders. */
function relativePathsOf(config: Options): string[] {
  const paths = [
    ...[...(config.entities ?? []), ...(config.entitiesTs ?? [])].filter((entry): entry is string => typeof entry === 'string'),
    config.migrations?.path,
    config.migrations?.pathTs,
    config.seeder?.path,
    config.seeder?.pathTs,
  ];
  return paths.filter((path): path is string => typeof path === 'string' && !isAbsolute(path)).map((path) => path.replace(/^(\.\/)+/, ''));
}

/** A glob's folder part (`src/**\/*.entity.ts` -> `src`). */
function fixedPartOf(path: string): string {
  const parts = path.split('/');
  const glob = parts.findIndex((part) => /[*?[\]{}()!]/.test(part));
  return (glob === -1 ? parts : parts.slice(0, glob)).join('/');
}

/**
 * The folder an existing app's relative paths (entities, migrations, seeders) are read from:
 * where MikroORM reads them, the folder its CLI and the app run in. An app with its own
 * package.json runs in its project root. An Nx project without one (project.json only) runs its
 * scripts, `nx serve` and `mikro-orm --config libs/db/src/mikro-orm.config.ts` in the folder of
 * the package.json above it, the workspace root: that folder when the config names the
 * project's own folder from there (`libs/db/src/migrations`), or a folder that is there and not
 * under the project root (`libs/entities/src/**\/*.entity.ts`) while none of its folders is only
 * under the project root (a workspace's `dist/` beside the project's own `src/`).
 */
export function appBaseDir(config: Options, project: Project): string {
  if (existsSync(join(project.root, 'package.json'))) return project.root;
  const runDir = packageDirOf(dirname(project.root));
  if (!runDir) return project.root;
  const own = relative(runDir, project.root).split(sep).join('/');
  const paths = relativePathsOf(config);
  if (paths.some((path) => path === own || path.startsWith(`${own}/`))) return runDir;
  const onlyUnder = (dir: string, other: string) =>
    paths.some((path) => {
      const fixed = fixedPartOf(path);
      return fixed !== '' && existsSync(join(dir, fixed)) && !existsSync(join(other, fixed));
    });
  const fromRunDir = onlyUnder(runDir, project.root) && !onlyUnder(project.root, runDir);
  return fromRunDir ? runDir : project.root;
}
