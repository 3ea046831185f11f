import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  glob,
  installPackagesTask,
  logger,
  readJson,
  readNxJson,
  updateNxJson,
  writeJson,
  type GeneratorCallback,
  type NxJsonConfiguration,
  type TargetConfiguration,
  type Tree,
} from '@nx/devkit';
import { findConfigFile, type FileReader } from '../../core/project';
import type { InitSchema } from './schema';

export const PLUGIN_NAME = '@veloiq/db';

type PluginEntry = NonNullable<NxJsonConfiguration['plugins']>[number];
interface PluginOptions {
  generateTargetName?: string;
  migrateTargetName?: string;
  checkTargetName?: string;
}

function pluginNameOf(entry: PluginEntry): string {
  return typeof entry === 'string' ? entry : entry.plugin;
}

/** The version to depend on: this package's own, as a caret range. */
function ownVersion(): string {
  // ../../../package.json from src/generators/init (source) and dist/generators/init (built).
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { version: string };
  return `^${pkg.version}`;
}

type TargetDefaults = NonNullable<NxJsonConfiguration['targetDefaults']>;
type DependsOn = NonNullable<TargetConfiguration['dependsOn']>;

/** Whether `dependsOn` already runs `target` of the same project first. */
function runsFirst(dependsOn: DependsOn, target: string): boolean {
  return dependsOn.some((d) => d === target || (typeof d === 'object' && d.target === target && !d.projects && !d.dependencies));
}

/**
 * Makes `targetDefaults[target]` depend on `generate`. The value is either a plain object or
 * (Nx 23) an array of filtered entries, where the entry without a filter is the baseline.
 */
function addDependsOn(targetDefaults: TargetDefaults, target: string, generate: string): void {
  const value = targetDefaults[target];
  let defaults: { dependsOn?: DependsOn };
  if (!Array.isArray(value)) {
    defaults = value ?? (targetDefaults[target] = {});
  } else {
    const baseline = value.find((entry) => !entry.filter);
    defaults = baseline ?? {};
    if (!baseline) value.unshift(defaults);
  }
  defaults.dependsOn ??= [];
  if (!runsFirst(defaults.dependsOn, generate)) defaults.dependsOn.push(generate);
}

/**
 * Adds the plugin and the generate-before-migrate rule to nx.json. Returns whether anything
 * changed, so a second run writes nothing.
 */
export function addPluginToNxJson(tree: Tree): boolean {
  const nxJson = readNxJson(tree) ?? {};
  const before = JSON.stringify(nxJson);
  nxJson.plugins ??= [];
  let entry = nxJson.plugins.find((p) => pluginNameOf(p) === PLUGIN_NAME);
  if (!entry) {
    entry = { plugin: PLUGIN_NAME };
    nxJson.plugins.push(entry);
  }
  // The rule follows the target names the plugin is configured with.
  const options = (typeof entry === 'string' ? {} : (entry.options ?? {})) as PluginOptions;
  const generate = options.generateTargetName ?? 'generate';
  nxJson.targetDefaults ??= {};
  for (const target of [options.migrateTargetName ?? 'db-migrate', options.checkTargetName ?? 'db-check']) {
    addDependsOn(nxJson.targetDefaults, target, generate);
  }
  if (JSON.stringify(nxJson) === before) return false;
  // updateNxJson writes nothing where no nx.json exists: a workspace without one gets it here.
  if (tree.exists('nx.json')) updateNxJson(tree, nxJson);
  else writeJson(tree, 'nx.json', { $schema: './node_modules/nx/schemas/nx-schema.json', ...nxJson });
  return true;
}

/** Whether @veloiq/db is itself one of the workspace's packages (npm/yarn/pnpm workspaces). */
function isWorkspacePackage(tree: Tree, pkg: { workspaces?: string[] | { packages?: string[] } }): boolean {
  const patterns = Array.isArray(pkg.workspaces) ? pkg.workspaces : (pkg.workspaces?.packages ?? []);
  if (patterns.length === 0) return false;
  const manifests = glob(
    tree,
    patterns.map((pattern) => `${pattern.replace(/\/+$/, '')}/package.json`),
  );
  return manifests.some((file) => readJson(tree, file).name === PLUGIN_NAME);
}

/**
 * Adds @veloiq/db to devDependencies unless package.json already lists it anywhere, or it is a
 * package of this very workspace.
 */
export function addPackageToPackageJson(tree: Tree): boolean {
  if (!tree.exists('package.json')) return false;
  const pkg = readJson(tree, 'package.json');
  const listed = ['dependencies', 'devDependencies', 'optionalDependencies'].some((field) => pkg[field]?.[PLUGIN_NAME]);
  if (listed || isWorkspacePackage(tree, pkg)) return false;
  pkg.devDependencies = { ...(pkg.devDependencies ?? {}), [PLUGIN_NAME]: ownVersion() };
  pkg.devDependencies = Object.fromEntries(Object.entries(pkg.devDependencies).sort(([a], [b]) => a.localeCompare(b)));
  writeJson(tree, 'package.json', pkg);
  return true;
}

/** The generator's tree as the config finder reads files (paths relative to the workspace). */
export function treeFiles(tree: Tree): FileReader {
  return { exists: (path) => tree.exists(path), read: (path) => tree.read(path, 'utf-8') ?? undefined };
}

/**
 * An existing MikroORM app that is the workspace itself (Nx added to it): Nx makes the root
 * package.json a project only when it has an `nx` field, and without a project there are no db
 * targets. Adds an empty one, as `nx init` does for a single-package repository.
 */
export function addRootProject(tree: Tree): boolean {
  if (!tree.exists('package.json') || tree.exists('project.json') || !findConfigFile('', treeFiles(tree))) return false;
  const pkg = readJson(tree, 'package.json');
  if (pkg.nx !== undefined || typeof pkg.name !== 'string') return false;
  writeJson(tree, 'package.json', { ...pkg, nx: {} });
  logger.info(`The workspace root holds a MikroORM app: package.json gets "nx": {}, so Nx makes it the project '${pkg.name}' with the db targets.`);
  return true;
}

/**
 * Appends to a .gitignore the lines it lacks (`header` opens a new file; a file the user wrote
 * keeps its own lines). `covers` says whether the file's lines already ignore what a line would.
 */
export function addGitignoreLines(
  tree: Tree,
  path: string,
  lines: string[],
  header: string,
  covers: (existing: string[], line: string) => boolean = (existing, line) => existing.includes(line),
): boolean {
  const existing = tree.exists(path) ? tree.read(path, 'utf-8')! : '';
  const present = existing.split('\n').map((line) => line.trim());
  const missing = lines.filter((line) => !covers(present, line));
  if (missing.length === 0) return false;
  const opening = existing ? (existing.endsWith('\n') ? '' : '\n') : header;
  tree.write(path, `${existing}${opening}${missing.join('\n')}\n`);
  return true;
}

/** `.nx`, `/.nx/`...: the spellings that ignore the whole folder. */
const WHOLE_NX = /^\/?\.nx\/?$/;

/**
 * Keeps Nx's own folder (its cache and workspace data, which every nx command writes) out of git:
 * an existing app that just got Nx has no line for it. Lines that already ignore it, the whole
 * folder or both of its parts (what `nx init` writes), count.
 */
export function ignoreNxFolder(tree: Tree): boolean {
  const covered = (existing: string[]) =>
    existing.some((line) => WHOLE_NX.test(line)) ||
    ['.nx/cache', '.nx/workspace-data'].every((part) => existing.some((line) => line.replace(/^\//, '').replace(/\/$/, '') === part));
  return addGitignoreLines(tree, '.gitignore', ['.nx/'], '', covered);
}

/** `nx g @veloiq/db:init`: idempotent; a second run changes nothing. */
export async function initGenerator(tree: Tree, options: InitSchema = {}): Promise<GeneratorCallback> {
  addPluginToNxJson(tree);
  addRootProject(tree);
  ignoreNxFolder(tree);
  const packageChanged = options.skipPackageJson ? false : addPackageToPackageJson(tree);
  return () => {
    if (packageChanged && !options.skipInstall) installPackagesTask(tree);
  };
}

export default initGenerator;
