// First, before tsx loads: its disk cache only where no other user can write (see the file).
import './tsx-cache.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import Module from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/cjs/api';
import { openCompiledCache, type CompiledCache } from './compiled-cache';
import { withDecoratorSupport } from './transpile';

/**
 * Loads a project file (the MikroORM config, a model file, a revision) that may be TypeScript.
 * tsx's hook is registered only while the file and its imports load, so it neither depends on
 * nor stays in the way of whatever loader the host process (Nx, a test runner) registered. It
 * is tsx's global hook, not a namespaced one: a namespace gives every package the file imports
 * a second copy (MikroORM itself included, loaded twice); this way the config and the revisions
 * share the packages the engine already loaded.
 */
export function loadModule<T = unknown>(path: string): T {
  const loaded = require.cache[path];
  if (loaded) return loaded.exports as T;
  const code = compiled.get(path);
  if (code !== undefined) {
    compiled.delete(path);
    const module = loadCompiled(path, code);
    if (module) return module.exports as T;
  }
  const unregister = register();
  try {
    return withDecoratorSupport(() => require(path) as T);
  } finally {
    unregister();
  }
}

/**
 * Loads a project file as an ES module: for a file CommonJS cannot hold, typically an ESM app's
 * MikroORM config with a top-level `await` (`(await import('@mikro-orm/reflection'))...`).
 * tsx's ESM loader is scoped to this one import; the packages it reaches are CommonJS ones the
 * engine shares (MikroORM's), as Node loads a CommonJS package imported from ESM through the
 * same module cache.
 */
export async function importModule<T = unknown>(path: string): Promise<T> {
  // tsx's ESM build: its CommonJS build's tsImport points its loader at a path that is not there.
  const { tsImport } = await import('tsx/esm/api');
  return (await tsImport(pathToFileURL(path).href, __filename)) as T;
}

/** Whether `error` says the file holds what only an ES module can (top-level await). */
export function needsModule(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  return e?.code === 'ERR_REQUIRE_ASYNC_MODULE' || /top-level await/i.test(String(e?.message ?? ''));
}

/** Below this many files, compiling them one by one costs next to nothing. */
const PRELOAD_MIN_FILES = 20;
const TS_FILE = /\.[cm]?ts$/;

interface Esbuild {
  version: string;
  build(options: Record<string, unknown>): Promise<{ outputFiles: { path: string; text: string }[] }>;
}

/** tsx's own esbuild (a dependency of tsx, so no dependency of ours). */
function esbuild(): Esbuild | undefined {
  try {
    return createRequire(require.resolve('tsx/package.json'))('esbuild') as Esbuild;
  } catch {
    return undefined;
  }
}

/** Every `require("x")` of compiled CommonJS resolves to JavaScript Node can load by itself. */
function requiresResolve(code: string, path: string): boolean {
  const resolveFrom = createRequire(path);
  for (const [, id] of code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) {
    if (id.startsWith('node:') || builtinModules.includes(id)) continue;
    try {
      // A TypeScript file, or a tsconfig path alias, needs tsx: leave the whole file to it.
      if (!/\.(c?js|json|node)$/.test(resolveFrom.resolve(id))) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Options as tsx compiles with: this Node, CommonJS, inline source maps, kept names. */
const COMPILE_OPTIONS = { target: `node${process.versions.node}`, format: 'cjs', platform: 'node', sourcemap: 'inline', keepNames: true };

/** Each of `paths` with its compile key, and its code where `cache` holds it (read synchronously). */
function cachedSources(build: Esbuild, paths: string[], cache: CompiledCache | undefined): Map<string, { key: string; code?: string }> {
  const sources = new Map<string, { key: string; code?: string }>();
  for (const path of paths) {
    let source: string;
    try {
      source = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    const key = createHash('sha1')
      .update([build.version, JSON.stringify(COMPILE_OPTIONS), path, source].join('\0'))
      .digest('hex');
    sources.set(path, { key, code: cache?.read(path, key) });
  }
  return sources;
}

/** Keeps each source's code for `loadModule`. */
function keep(sources: Map<string, { code?: string }>): void {
  for (const [path, { code }] of sources) if (code !== undefined && !require.cache[path]) compiled.set(path, code);
}

/**
 * Compiles the sources the cache did not hold with one esbuild build, keeps them in the cache,
 * and keeps every source's code for `loadModule`.
 */
async function compileTogether(build: Esbuild, sources: Map<string, { key: string; code?: string }>, cache: CompiledCache | undefined): Promise<void> {
  const misses = [...sources].filter(([, entry]) => entry.code === undefined).map(([path]) => path);
  if (misses.length > 0) {
    // Output paths are only names here (write: false); they mirror the inputs under outbase.
    const outdir = '/veloiq-build';
    let outputs: { path: string; text: string }[];
    try {
      outputs = (await build.build({ ...COMPILE_OPTIONS, entryPoints: misses, bundle: false, write: false, outdir, outbase: '/', logLevel: 'silent' }))
        .outputFiles;
    } catch {
      return; // a file esbuild rejects: each file is loaded, and its error reported, one by one
    }
    const byOutput = new Map(outputs.map((file) => [file.path, file.text]));
    const compiled: { path: string; key: string; code: string }[] = [];
    for (const path of misses) {
      const entry = sources.get(path)!;
      entry.code = byOutput.get(join(outdir, dirname(path), `${basename(path, extname(path))}.js`));
      if (entry.code !== undefined) compiled.push({ path, key: entry.key, code: entry.code });
    }
    cache?.write(compiled);
  }
  keep(sources);
}

/**
 * Code compileTogether made, by path, until loadModule runs it. Modules are run on first use,
 * not as soon as compiled: running a module (V8's compile, its top-level code, resolving its
 * imports) is work on the main thread, and a background build that ran hundreds at once would
 * hold up whatever waits there meanwhile, a round trip's answer among them.
 */
const compiled = new Map<string, string>();

/**
 * Runs compiled CommonJS as the module at `path`. Undefined when it cannot stand alone (it
 * requires TypeScript or a path alias) or throws: tsx then loads the file, so errors read as
 * they always do.
 */
function loadCompiled(path: string, code: string): Module | undefined {
  if (!requiresResolve(code, path)) return undefined;
  const mod = new Module(path, module) as Module & { filename: string; paths: string[]; loaded: boolean; _compile(code: string, path: string): void };
  mod.filename = path;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(path));
  require.cache[path] = mod;
  try {
    mod._compile(code, path);
    mod.loaded = true;
    return mod;
  } catch {
    delete require.cache[path];
    return undefined;
  }
}

/** Files per background build: small first, so the first revisions can run soon. */
const FIRST_CHUNK = 25;
const LARGEST_CHUNK = 400;

export interface CompileAhead {
  /** Resolves when `path` is compiled, or left to tsx; never rejects. */
  ready(path: string): Promise<void>;
  /** Skips the chunks not started yet (the run ended early). */
  stop(): void;
}

/**
 * Compiles many TypeScript files (the pending revisions of a long upgrade) in the background,
 * in order, while the first ones already run: esbuild's asynchronous builds work in their own
 * process, on chunks of growing size, instead of tsx's one synchronous transform per file on
 * first load (one esbuild round trip per file), and without one long synchronous build before
 * the first revision runs. Only files whose imports Node resolves to JavaScript run from that
 * code; any other file, any file that fails to compile or to run, and everything when esbuild
 * cannot be found, is left to tsx, so errors read exactly as they did.
 *
 * `cacheDir` (the project's local state; see compiled-cache.ts) keeps compiled files between runs.
 */
export function compileAhead(paths: string[], cacheDir?: () => string): CompileAhead {
  const todo = [...new Set(paths)].filter((path) => TS_FILE.test(path) && !require.cache[path]);
  const build = todo.length >= PRELOAD_MIN_FILES ? esbuild() : undefined;
  if (!build) return { ready: async () => undefined, stop: () => undefined };
  const cache = cacheDir && openCompiledCache(cacheDir());
  const chunkOf = new Map<string, Promise<void>>();
  let stopped = false;
  let previous: Promise<void> = Promise.resolve();
  for (let start = 0, size = FIRST_CHUNK; start < todo.length; start += size, size = Math.min(size * 2, LARGEST_CHUNK)) {
    const chunk = todo.slice(start, start + size);
    // The first chunk's compiled code is read from the cache at once: the first revisions run
    // from it, not through tsx, which compiles each file on its own. Each later chunk after the
    // event loop's turn: without it, every chunk's cache reads would run before the first
    // revisions are sent.
    const first = start === 0 ? cachedSources(build, chunk, cache) : undefined;
    if (first) keep(first);
    previous = previous
      .then(() => new Promise((resolve) => setImmediate(resolve)))
      .then(() => (stopped ? undefined : compileTogether(build, first ?? cachedSources(build, chunk, cache), cache)))
      .catch(() => undefined);
    for (const path of chunk) chunkOf.set(path, previous);
  }
  return {
    ready: (path) => chunkOf.get(path) ?? Promise.resolve(),
    stop: () => void (stopped = true),
  };
}
