// The layers point one way: cli -> executors -> commands -> core. Read from the sources' import
// statements (type imports included), in memory: no build, no Nx.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const SRC = resolve(__dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) ? [path] : [];
  });
}

/** Every module a file imports or re-exports, as written. */
function importsOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const found = text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm);
  return [...found].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** A relative import as the source file it names (undefined for JSON and packages). */
function resolveLocal(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  return [`${base}.ts`, `${base}.d.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
}

const files = sourceFiles(SRC);
const layerOf = (path: string) => relative(SRC, path).split('/')[0];
const graph = new Map(files.map((file) => [file, importsOf(file)]));

/** The imports from files in `layer` into any of the `above` layers, as `from -> to`. */
function upwardImports(layer: string, above: string[]): string[] {
  return [...graph].flatMap(([file, specs]) =>
    layerOf(file) !== layer
      ? []
      : specs.flatMap((spec) => {
          const target = resolveLocal(file, spec);
          return target && above.includes(layerOf(target)) ? [`${relative(SRC, file)} -> ${relative(SRC, target)}`] : [];
        }),
  );
}

test('core imports nothing from the layers above it', () => {
  assert.deepEqual(upwardImports('core', ['commands', 'executors', 'cli', 'plugin', 'generators', 'runtime']), []);
});

test('commands import nothing from executors, cli, plugin or generators', () => {
  assert.deepEqual(upwardImports('commands', ['executors', 'cli', 'plugin', 'generators']), []);
});

test('core and commands import nothing from Nx', () => {
  const wrong = [...graph].flatMap(([file, specs]) =>
    !['core', 'commands'].includes(layerOf(file)) ? [] : specs.filter((spec) => /^(nx|@nx\/)/.test(spec)).map((spec) => `${relative(SRC, file)} -> ${spec}`),
  );
  assert.deepEqual(wrong, []);
});

test('no import cycle', () => {
  const edges = new Map(
    files.map((file) => [
      file,
      graph
        .get(file)!
        .map((spec) => resolveLocal(file, spec))
        .filter((t): t is string => t !== undefined),
    ]),
  );
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, trail: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const next of edges.get(file) ?? []) visit(next, [...trail, file]);
    state.set(file, 'done');
  };
  for (const file of files) visit(file, []);
  assert.deepEqual(cycles, []);
});

test('the import reader sees what it must (a test that can fail)', () => {
  const session = join(SRC, 'commands/session.ts');
  assert.ok(importsOf(session).includes('../core/orm'));
  assert.equal(resolveLocal(session, '../core/orm'), join(SRC, 'core/orm.ts'));
});
