import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import Module from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { register } from 'tsx/cjs/api';

type ScopedRequire = (id: string, fromFile: string) => unknown;
let scopedRequire: ScopedRequire | undefined;

/** Modules `preloadModules` compiled and put in `require.cache`; `loadModule` answers from them. */
const preloaded = new WeakSet<NodeModule>();

/**
 * Loads a project file (the MikroORM config, a revision) that may be TypeScript. The loader is
 * scoped to what we load, so it neither depends on nor disturbs whatever loader the host
 * process (Nx, a test runner) registered, and it is registered once for the whole command:
 * revisions are loaded while migrations run.
 */
export function loadModule<T = unknown>(path: string): T {
  const cached = require.cache[path];
  if (cached && preloaded.has(cached)) return cached.exports as T;
  scopedRequire ??= register({ namespace: 'veloiq-db' }).require as ScopedRequire;
  return scopedRequire(path, __filename) as T;
}

/** Below this many files, compiling them one by one costs next to nothing. */
const PRELOAD_MIN_FILES = 20;
const TS_FILE = /\.[cm]?ts$/;

interface Esbuild {
  version: string;
  buildSync(options: Record<string, unknown>): { outputFiles: { path: string; text: string }[] };
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

/**
 * Compiles many TypeScript files (the pending revisions of a long upgrade) before they are
 * loaded: one esbuild build for all the files not compiled before, with the results kept in a
 * cache folder keyed by content, instead of tsx's one synchronous transform per file on first
 * load (profile of 1000 cold revisions: 2.6 s in loadModule, most of it esbuild round trips;
 * one build: about 0.7 s). Options follow tsx's (target this Node, CommonJS, inline source
 * maps, kept names). Only files whose imports Node resolves to JavaScript are preloaded; any
 * other file, any file that fails to compile or to run, and everything when esbuild cannot be
 * found, is left to `loadModule` as before, so errors read exactly as they did.
 */
export function preloadModules(paths: string[]): void {
  const todo = [...new Set(paths)].filter((path) => TS_FILE.test(path) && !require.cache[path]);
  if (todo.length < PRELOAD_MIN_FILES) return;
  const build = esbuild();
  if (!build) return;
  const options = { target: `node${process.versions.node}`, format: 'cjs', platform: 'node', sourcemap: 'inline', keepNames: true };
  const cacheDir = join(tmpdir(), `veloiq-db-${userInfo().username}`, 'modules');
  const sources = new Map<string, { key: string; code?: string }>();
  for (const path of todo) {
    let source: string;
    try {
      source = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    const key = createHash('sha1').update([build.version, JSON.stringify(options), path, source].join('\0')).digest('hex');
    let code: string | undefined;
    try {
      code = readFileSync(join(cacheDir, `${key}.js`), 'utf8');
    } catch {
      // not compiled yet
    }
    sources.set(path, { key, code });
  }
  const misses = [...sources].filter(([, entry]) => entry.code === undefined).map(([path]) => path);
  if (misses.length > 0) {
    // Output paths are only names here (write: false); they mirror the inputs under outbase.
    const outdir = join(cacheDir, 'build');
    let outputs: { path: string; text: string }[];
    try {
      outputs = build.buildSync({ ...options, entryPoints: misses, bundle: false, write: false, outdir, outbase: '/', logLevel: 'silent' }).outputFiles;
    } catch {
      return; // a file esbuild rejects: each file is loaded, and its error reported, one by one
    }
    const byOutput = new Map(outputs.map((file) => [file.path, file.text]));
    mkdirSync(cacheDir, { recursive: true });
    for (const path of misses) {
      const entry = sources.get(path)!;
      const out = join(outdir, dirname(path), `${basename(path, extname(path))}.js`);
      entry.code = byOutput.get(out);
      if (entry.code === undefined) continue;
      try {
        const file = join(cacheDir, `${entry.key}.js`);
        writeFileSync(`${file}.${process.pid}`, entry.code);
        renameSync(`${file}.${process.pid}`, file);
      } catch {
        // a read-only temp folder only costs the next run a compile
      }
    }
  }
  for (const [path, { code }] of sources) {
    if (code === undefined || !requiresResolve(code, path)) continue;
    const mod = new Module(path, module) as Module & { filename: string; paths: string[]; loaded: boolean; _compile(code: string, path: string): void };
    mod.filename = path;
    mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(path));
    require.cache[path] = mod;
    try {
      mod._compile(code, path);
      mod.loaded = true;
      preloaded.add(mod);
    } catch {
      delete require.cache[path];
    }
  }
}
