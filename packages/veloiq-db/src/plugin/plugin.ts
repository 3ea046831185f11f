import { existsSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { CreateNodes, CreateNodesContext, CreateNodesResult, CreateNodesResultArray, TargetConfiguration } from '@nx/devkit';
import { findConfigFile, PROJECT_FILES } from '../core/project';

/**
 * Every project with a MikroORM config in its root, its `backend/`, or where MikroORM's own CLI
 * looks (`src/`, package.json's `mikro-orm.configPaths`) grows the db targets. The config is
 * the one file that says "this project owns a database schema". The project files are matched
 * too: an app may keep its config out of git (it holds a password), and Nx's glob never shows
 * a git-ignored file, so each project folder is also asked for its config on disk.
 */
export const MIKRO_ORM_CONFIG_GLOB =
  '{**/mikro-orm.config.ts,**/mikro-orm.config.js,**/mikro-orm.config.cjs,project.json,**/project.json,package.json,**/package.json}';

/** The plugin's options in `nx.json`: each target's name, so a workspace can rename them. */
export interface VeloiqDbPluginOptions {
  generateTargetName?: string;
  upgradeTargetName?: string;
  migrateTargetName?: string;
  downgradeTargetName?: string;
  stampTargetName?: string;
  historyTargetName?: string;
  currentTargetName?: string;
  checkTargetName?: string;
  statusTargetName?: string;
  lintTargetName?: string;
  headsTargetName?: string;
  branchesTargetName?: string;
  showTargetName?: string;
  mergeTargetName?: string;
}

export type NormalizedOptions = Required<VeloiqDbPluginOptions>;

export const DEFAULT_TARGET_NAMES: NormalizedOptions = {
  generateTargetName: 'generate',
  upgradeTargetName: 'db-upgrade',
  migrateTargetName: 'db-migrate',
  downgradeTargetName: 'db-downgrade',
  stampTargetName: 'db-stamp',
  historyTargetName: 'db-history',
  currentTargetName: 'db-current',
  checkTargetName: 'db-check',
  statusTargetName: 'db-status',
  lintTargetName: 'db-lint',
  headsTargetName: 'db-heads',
  branchesTargetName: 'db-branches',
  showTargetName: 'db-show',
  mergeTargetName: 'db-merge',
};

export function normalizeOptions(options: VeloiqDbPluginOptions | undefined): NormalizedOptions {
  const normalized = { ...DEFAULT_TARGET_NAMES };
  for (const key of Object.keys(DEFAULT_TARGET_NAMES) as (keyof NormalizedOptions)[]) {
    const value = options?.[key];
    if (typeof value === 'string' && value.trim()) normalized[key] = value.trim();
  }
  return normalized;
}

/**
 * The project a config file belongs to: the project folder (the config's own, or the one above
 * it: `apps/x/backend/`, `apps/x/src/`, a folder package.json's `mikro-orm.configPaths` names)
 * whose config, by the rule the commands use (findConfigFile), is this file. Any other config
 * (a compiled copy in `dist/`, a second one the project does not use) is not a project's.
 */
export function projectRootForConfig(configFile: string, workspaceRoot: string): { root: string; backend: boolean } | null {
  const dir = dirname(configFile);
  // `x/backend/` belongs to `x` even when it has a package.json of its own, as it always has.
  for (const root of basename(dir) === 'backend' ? [dirname(dir), dir] : [dir, dirname(dir)]) {
    const absolute = join(workspaceRoot, root);
    if (!PROJECT_FILES.some((file) => existsSync(join(absolute, file)))) continue;
    if (findConfigFile(absolute) !== join(workspaceRoot, configFile)) return null;
    return { root, backend: dir !== root && basename(dir) === 'backend' };
  }
  return null;
}

/**
 * Builds the targets. Inputs are what each result depends on, so a cache hit is
 * never a lie:
 * - `generate` reads the entity modules (everything under the backend except what it writes
 *   and the migrations) and writes `src/generated/`: cached.
 * - `db-check` replays the revision files on a temporary database and compares the result with
 *   the entities: that answer depends on files alone (not on what any database has applied, nor
 *   on which server lends the temporary database), so it is cached, with the migrations among
 *   its inputs. The `--env-file` value is part of the task's options, so changing it is a miss too.
 * - `db-lint` renders the revisions' SQL offline and lints it: a function of the migrations, the
 *   MikroORM config and squawk's config (and the plugin, with squawk, through `^default`): cached.
 * - upgrade, downgrade, stamp, migrate, history, current and status read or change a live
 *   database, which no file hash describes: never cached, so running them twice runs them twice.
 */
export function buildTargets(backend: boolean, options: NormalizedOptions): Record<string, TargetConfiguration> {
  const base = backend ? '{projectRoot}/backend' : '{projectRoot}';
  const generated = `${base}/src/generated`;
  const migrations = `${base}/migrations`;
  // The plugin's own code (in this workspace, the @veloiq/db project) is a dependency
  // of every project that uses it; `^default` makes a new plugin version a miss.
  const entityInputs = [`${base}/**/*`, `!${generated}/**/*`, `!${base}/.veloiq/**/*`];
  const technologies = ['mikro-orm', 'postgresql'];
  const target = (executor: string, description: string, extra: Partial<TargetConfiguration> = {}): TargetConfiguration => ({
    executor: `@veloiq/db:${executor}`,
    cache: false,
    ...extra,
    metadata: { description, technologies },
  });

  return {
    [options.generateTargetName]: target(
      'generate',
      'Regenerate the entity registry and TypeScript schemas (src/generated/) from backend/src/modules/*/models.ts.',
      { cache: true, inputs: [...entityInputs, `!${migrations}/**/*`, '^default'], outputs: [generated] },
    ),
    [options.upgradeTargetName]: target('upgrade', 'Apply pending revisions up to head, or up to --revision (veloiq db upgrade).'),
    [options.migrateTargetName]: target(
      'migrate',
      'Autogenerate a revision from entity changes: -m "message" is required (veloiq db migrate). Runs generate first.',
      { dependsOn: [options.generateTargetName], outputs: [migrations] },
    ),
    [options.downgradeTargetName]: target('downgrade', 'Revert to an earlier revision: -1, base or a revision id (veloiq db downgrade).'),
    [options.stampTargetName]: target('stamp', 'Mark the database as being at a revision (default head) without running migrations (veloiq db stamp).'),
    [options.headsTargetName]: target('heads', 'List the head revisions; more than one waits for db-merge (veloiq db heads).'),
    [options.branchesTargetName]: target('branches', 'List branchpoints and their children (veloiq db branches).'),
    [options.showTargetName]: target('show', 'Show one revision: parents, children, labels and file (veloiq db show <rev>).'),
    [options.mergeTargetName]: target('merge', 'Write a merge revision joining the heads, with no schema change: -m "message" is required (veloiq db merge).', {
      outputs: [migrations],
    }),
    [options.historyTargetName]: target('history', 'List every revision with its id and description (veloiq db history).'),
    [options.currentTargetName]: target('current', 'Show the revision applied now and whether the database is at head (veloiq db current).'),
    [options.checkTargetName]: target(
      'check',
      'For CI: fail when the entities have changes that no revision holds (the revisions are replayed on a temporary database). Answers from the files alone, so it is cached. Runs generate first.',
      // The env files the command reads may change what the config loads: the project's (under
      // backend/ it is among the entity inputs; beside it, at the project root) and the workspace's.
      {
        cache: true,
        dependsOn: [options.generateTargetName],
        inputs: [...entityInputs, ...(backend ? ['{projectRoot}/.env'] : []), '{workspaceRoot}/.env', '^default'],
      },
    ),
    [options.statusTargetName]: target(
      'status',
      'Compare the live database with the revision files: pending revisions, and applied ones edited or missing since; fails on the latter (veloiq db status). Never cached.',
    ),
    [options.lintTargetName]: target(
      'lint',
      "For CI: lint each revision's up() and down() SQL with squawk, offline (no database): destructive, locking and backward-incompatible changes fail unless the revision acknowledges them. Cached on the migrations and the config.",
      {
        cache: true,
        // An existing app's config (src/, package.json's configPaths) may keep its revisions
        // anywhere in the project (migrations.path): all of the project's files are inputs.
        inputs: backend
          ? [`${migrations}/**/*`, `${base}/mikro-orm.config.*`, `${base}/.squawk.toml`, '{projectRoot}/.squawk.toml', '^default']
          : [...entityInputs, '^default'],
      },
    ),
  };
}

/**
 * A project file (project.json, package.json) gives its folder the targets when the folder's
 * config, found on disk, is its own; a config file, when it belongs to a project. Both name the
 * same project for a config Nx sees: Nx merges the two.
 */
function createNodesForFile(file: string, options: NormalizedOptions, context: CreateNodesContext): CreateNodesResult {
  let configFile = file;
  if (PROJECT_FILES.includes(basename(file))) {
    const config = findConfigFile(join(context.workspaceRoot, dirname(file)));
    if (!config) return {};
    configFile = relative(context.workspaceRoot, config);
  }
  const project = projectRootForConfig(configFile, context.workspaceRoot);
  if (!project) return {};
  return { projects: { [project.root]: { targets: buildTargets(project.backend, options) } } };
}

const createNodesFunction = async (
  configFiles: readonly string[],
  rawOptions: VeloiqDbPluginOptions | undefined,
  context: CreateNodesContext,
): Promise<CreateNodesResultArray> => {
  const options = normalizeOptions(rawOptions);
  return configFiles.map((file) => [file, createNodesForFile(file, options, context)] as const);
};

/** Nx 22+ name. */
export const createNodes: CreateNodes<VeloiqDbPluginOptions> = [MIKRO_ORM_CONFIG_GLOB, createNodesFunction];

/** The same, under the name Nx 19–21 look for (deprecated in Nx 23, removed in 24). */
export const createNodesV2: CreateNodes<VeloiqDbPluginOptions> = createNodes;
