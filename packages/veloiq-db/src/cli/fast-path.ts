import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { findConfigFile } from '../core/project';
import { normalizeOptions, projectRootForConfig, type NormalizedOptions } from '../plugin/plugin';
import { cachedGraphTarget } from './cached-graph';

/**
 * `veloiq db current` (history, heads) without `nx run`: the project graph (plugin workers) and the forked task
 * runner cost seconds, the command itself a fraction of that. A read-only command runs in this
 * process when the files say for sure which executor Nx would run and with which options; any
 * doubt, and Nx runs it as always. `VELOIQ_NO_FAST_PATH=1` always goes through `nx run`;
 * `VELOIQ_DEBUG_FAST_PATH=1` says on stderr why a command did not take the fast path.
 */

/** Read-only executors: running them twice, or without Nx's cache, changes nothing. */
const READ_ONLY: Record<string, keyof NormalizedOptions> = {
  current: 'currentTargetName',
  history: 'historyTargetName',
  heads: 'headsTargetName',
};

const PLUGIN = '@veloiq/db';

/** Target fields that change nothing about how a non-cached task runs in this process. */
const HARMLESS_TARGET_KEYS = new Set(['executor', 'options', 'cache', 'inputs', 'outputs', 'metadata', 'parallelism', 'dependsOn', 'configurations']);

/** The executor options the fast path knows how to pass (the schemas of current and history). */
const KNOWN_OPTIONS: Record<string, 'string' | 'boolean'> = {
  envFile: 'string',
  json: 'boolean',
  revRange: 'string',
  verbose: 'boolean',
  indicateCurrent: 'boolean',
  resolveDependencies: 'boolean',
};
/** The options only some of the read-only commands take. */
const ONLY_FOR: Record<string, string[]> = { revRange: ['history'], indicateCurrent: ['history'], resolveDependencies: ['heads'] };

/** Whether the read-only executor `name` (current, history, heads) takes `option`, and of what type. */
const takes = (name: string, option: string): 'string' | 'boolean' | undefined =>
  Object.hasOwn(KNOWN_OPTIONS, option) && (!Object.hasOwn(ONLY_FOR, option) || ONLY_FOR[option].includes(name)) ? KNOWN_OPTIONS[option] : undefined;

/** What the files say, read once; the decision itself is pure. */
export interface WorkspaceFacts {
  nxJson: unknown;
  /** The project's folder, relative to the workspace root ('' at the root). */
  projectRoot: string;
  /** The name Nx gives the project (project.json's name, else package.json's). */
  projectName: string;
  projectJson?: unknown;
  packageJson?: unknown;
  /** Whether our plugin infers targets for this project, and the MikroORM config sits in backend/. */
  inferred: boolean;
  /** Dotenv files Nx would load into the task's environment that exist. */
  nxEnvFiles: string[];
  /**
   * When nx.json lists other plugins: the target as Nx's fresh cached project graph has it, or
   * why there is none (cached-graph.ts).
   */
  graph?: { target: unknown } | string;
}

export interface FastRun {
  executor: string;
  options: Record<string, string | boolean>;
}

export type Decision = { run: FastRun } | { fallback: string };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const GLOB = /[*?[\]{}!]/;

const isOurs = (p: unknown) => p === PLUGIN || (isObject(p) && p.plugin === PLUGIN);

/** Whether nx.json lists plugins besides ours: they may add or change targets, and only Nx knows how. */
export function listsOtherPlugins(nxJson: unknown): boolean {
  const plugins = isObject(nxJson) ? nxJson.plugins : undefined;
  return Array.isArray(plugins) && !plugins.every(isOurs);
}

/** The plugin's options from nx.json, or a reason the plugin list leaves doubt. */
function pluginOptions(nxJson: Record<string, unknown>): NormalizedOptions | string {
  const plugins = nxJson.plugins ?? [];
  if (!Array.isArray(plugins)) return 'nx.json plugins is not a list';
  const ours = plugins.filter(isOurs);
  if (ours.length > 1) return `nx.json lists ${PLUGIN} more than once`;
  const [entry] = ours;
  if (isObject(entry) && Object.keys(entry).some((key) => key !== 'plugin' && key !== 'options')) return `the ${PLUGIN} plugin entry has include/exclude`;
  return normalizeOptions(isObject(entry) && isObject(entry.options) ? entry.options : undefined);
}

/** The target as one layer (targetDefaults, package.json, project.json) spells it, or a reason for doubt. */
function layer(value: unknown, where: string, executor: string): Record<string, unknown> | string | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) return `${where} is not a plain object`;
  const odd = Object.keys(value).find((key) => !HARMLESS_TARGET_KEYS.has(key));
  if (odd) return `${where} sets '${odd}'`;
  if (value.executor !== undefined && value.executor !== executor) return `${where} runs ${String(value.executor)}`;
  if (value.cache === true) return `${where} is cached`;
  if (value.dependsOn !== undefined && !(Array.isArray(value.dependsOn) && value.dependsOn.length === 0)) return `${where} has dependsOn`;
  // Nx's graph spells out an empty configurations object; any configuration is Nx's to apply.
  if (value.configurations !== undefined && !(isObject(value.configurations) && Object.keys(value.configurations).length === 0))
    return `${where} sets 'configurations'`;
  if (value.options !== undefined) {
    if (!isObject(value.options)) return `${where} options are not an object`;
    for (const [name, option] of Object.entries(value.options)) {
      if (takes(executor.split(':')[1], name) !== typeof option) return `${where} sets option '${name}'`;
      // Nx interpolates {projectRoot} and friends.
      if (typeof option === 'string' && option.includes('{')) return `${where} option '${name}' holds a token`;
    }
  }
  return value;
}

/** The executor name when a target spells out one of ours that is read-only. */
function readOnlyExecutor(value: unknown): string | undefined {
  const executor = isObject(value) && typeof value.executor === 'string' ? value.executor : '';
  const [plugin, name] = executor.split(':');
  return plugin === PLUGIN && name in READ_ONLY ? name : undefined;
}

/**
 * Whether `target` of this project can run here, exactly as `nx run` would run it: which
 * executor, with the options merged in Nx's order (the plugin's inferred target, then nx.json
 * targetDefaults, then package.json and project.json), then the command line's. Any field or
 * layer whose effect only Nx knows (dependsOn, configurations, globbed or executor-keyed
 * targetDefaults, tokens, dotenv files Nx loads, unknown arguments) is a fallback. With other
 * plugins in nx.json, the target comes merged from Nx's own fresh project graph, or Nx runs it.
 */
export function decideFastPath(facts: WorkspaceFacts, target: string, args: string[]): Decision {
  if (!isObject(facts.nxJson)) return { fallback: 'nx.json is not an object' };
  const nxJson = facts.nxJson;
  if (nxJson.extends !== undefined) return { fallback: 'nx.json extends another file' };
  if (facts.nxEnvFiles.length > 0) return { fallback: `Nx would load ${facts.nxEnvFiles.join(', ')}` };
  if (listsOtherPlugins(nxJson)) return decideFromGraph(facts.graph, target, args);
  const plugin = pluginOptions(nxJson);
  if (typeof plugin === 'string') return { fallback: plugin };

  const projectTargets = isObject(facts.projectJson) ? facts.projectJson.targets : undefined;
  const projectTarget = isObject(projectTargets) ? projectTargets[target] : undefined;
  const pkg = isObject(facts.packageJson) ? facts.packageJson : {};
  if (isObject(pkg.scripts) && target in pkg.scripts) return { fallback: `package.json has a '${target}' script` };
  const packageTarget = isObject(pkg.nx) && isObject(pkg.nx.targets) ? pkg.nx.targets[target] : undefined;

  if (Object.values(plugin).filter((name) => name === target).length > 1) return { fallback: `the plugin gives '${target}' to several targets` };
  const inferredExecutor = facts.inferred ? Object.keys(READ_ONLY).find((name) => plugin[READ_ONLY[name]] === target) : undefined;
  const spelled = [projectTarget, packageTarget].map(readOnlyExecutor).find(Boolean);
  const name = spelled ?? inferredExecutor;
  if (!name) return { fallback: `'${target}' is not a read-only ${PLUGIN} target of this project` };
  const executor = `${PLUGIN}:${name}`;

  const defaults = isObject(nxJson.targetDefaults) ? nxJson.targetDefaults : {};
  const otherDefault = Object.keys(defaults).find((key) => key !== target && (key === executor || key.startsWith(`${PLUGIN}:`) || GLOB.test(key)));
  if (otherDefault) return { fallback: `nx.json targetDefaults has '${otherDefault}'` };

  return runWith(
    name,
    [
      layer(defaults[target], `nx.json targetDefaults.${target}`, executor),
      layer(packageTarget, `package.json nx.targets.${target}`, executor),
      layer(projectTarget, `project.json targets.${target}`, executor),
    ],
    args,
  );
}

/** With other plugins: the target as Nx's fresh project graph has it, all layers merged. */
function decideFromGraph(graph: WorkspaceFacts['graph'], target: string, args: string[]): Decision {
  if (graph === undefined || typeof graph === 'string') return { fallback: `nx.json lists other plugins and ${graph ?? 'no cached project graph was read'}` };
  const name = readOnlyExecutor(graph.target);
  if (!name) return { fallback: `'${target}' is not a read-only ${PLUGIN} target of this project in Nx's project graph` };
  return runWith(name, [layer(graph.target, `the project graph's ${target}`, `${PLUGIN}:${name}`)], args);
}

/** The run: the layers' options merged in order over the defaults, then the command line's. */
function runWith(name: string, layers: (Record<string, unknown> | string | undefined)[], args: string[]): Decision {
  const doubt = layers.find((l): l is string => typeof l === 'string');
  if (doubt) return { fallback: doubt };
  const options: Record<string, string | boolean> = { envFile: '.env', json: false };
  for (const l of layers) if (isObject(l) && isObject(l.options)) Object.assign(options, l.options);
  for (const arg of args) {
    const match = /^--([A-Za-z]+)=(.*)$/s.exec(arg);
    const [, option, value] = match ?? [];
    if (!match || !takes(name, option)) return { fallback: `argument '${arg}'` };
    const flag = takes(name, option) === 'boolean';
    if (flag && value !== 'true' && value !== 'false') return { fallback: `argument '${arg}'` };
    options[option] = flag ? value === 'true' : value;
  }
  return { run: { executor: name, options } };
}

function readJson(path: string): unknown {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

/** Reads what decideFastPath needs for the project in `projectDir`. */
export function readFacts(workspaceRoot: string, projectDir: string, target: string): WorkspaceFacts {
  const projectJson = readJson(join(projectDir, 'project.json'));
  const packageJson = readJson(join(projectDir, 'package.json'));
  const projectRoot = relative(workspaceRoot, projectDir);
  const nameOf = (json: unknown) => (isObject(json) && typeof json.name === 'string' ? json.name : undefined);
  const pkgNx = isObject(packageJson) && isObject(packageJson.nx) ? packageJson.nx : undefined;
  const config = findConfigFile(projectDir);
  const inferred = !!config && projectRootForConfig(relative(workspaceRoot, config), workspaceRoot)?.root === projectRoot;
  // Nx loads these into every task's environment (task-env-paths in Nx): the command would see other variables.
  const nxEnvFiles = [projectRoot, '']
    .flatMap((root) =>
      [target, ''].flatMap((id) =>
        (id ? [`.env.${id}.local`, `.env.${id}`, `.${id}.local.env`, `.${id}.env`] : ['.env.local', '.local.env', '.env']).map((f) => join(root, f)),
      ),
    )
    .filter((file) => existsSync(join(workspaceRoot, file)));
  return {
    nxJson: readJson(join(workspaceRoot, 'nx.json')),
    projectRoot,
    projectName: nameOf(projectJson) ?? nameOf(pkgNx) ?? nameOf(packageJson) ?? '',
    projectJson,
    packageJson,
    inferred,
    nxEnvFiles,
  };
}

type Executor = (options: never, context: never) => Promise<{ success: boolean }>;

/** The read-only executors, required only when one runs (a `require`, so tsx and compiled CommonJS alike). */
function executorFor(name: string): Executor {
  const load = {
    current: () => require('../executors/current/executor'),
    history: () => require('../executors/history/executor'),
    heads: () => require('../executors/heads/executor'),
  }[name]!;
  return (load() as { default: Executor }).default;
}

/**
 * Runs `target` in this process when it is sure to behave as `nx run` would, and returns the
 * exit code; undefined means "run it through Nx". `projectDir` is the project folder found
 * from the user's directory; `project` the name given with --project, if any.
 */
export async function runFastPath(
  workspaceRoot: string,
  projectDir: string | undefined,
  project: string | undefined,
  target: string,
  args: string[],
): Promise<number | undefined> {
  const debug = (reason: string) => {
    if (process.env.VELOIQ_DEBUG_FAST_PATH) process.stderr.write(`veloiq: through nx run: ${reason}\n`);
  };
  if (process.env.VELOIQ_NO_FAST_PATH) return (debug('VELOIQ_NO_FAST_PATH is set'), undefined);
  if (!projectDir) return (debug('no project folder at or above this directory'), undefined);
  let facts: WorkspaceFacts;
  try {
    facts = readFacts(workspaceRoot, projectDir, target);
  } catch (error) {
    return (debug(`unreadable project files (${(error as Error).message})`), undefined);
  }
  if (!facts.projectName || (project !== undefined && project !== facts.projectName)) return (debug('another project was named'), undefined);
  if (listsOtherPlugins(facts.nxJson)) {
    const plugins = (facts.nxJson as { plugins: unknown[] }).plugins;
    facts.graph = cachedGraphTarget(workspaceRoot, facts.projectName, facts.projectRoot, target, plugins);
  }
  const decision = decideFastPath(facts, target, args);
  if ('fallback' in decision) return (debug(decision.fallback), undefined);
  const executor = executorFor(decision.run.executor);
  const context = {
    root: workspaceRoot,
    cwd: process.cwd(),
    projectName: facts.projectName,
    targetName: target,
    target: { executor: `${PLUGIN}:${decision.run.executor}` },
    projectsConfigurations: { version: 2, projects: { [facts.projectName]: { root: facts.projectRoot } } },
  };
  const { success } = await executor(decision.run.options as never, context as never);
  return success ? 0 : 1;
}
