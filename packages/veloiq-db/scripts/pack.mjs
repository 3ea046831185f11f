#!/usr/bin/env node
// Packs @veloiq/db as it is published: compiled JavaScript, no TypeScript sources, no tests.
// `npm run package` (from packages/veloiq-db) compiles into a temporary staging folder, adds the
// manifests, bin and README, and writes the tarball to dist/ (or to --out DIR), printing its path
// on the last line.
//
// Why a staging folder: in this workspace package.json, executors.json and generators.json
// point at the TypeScript sources (./src/**/*.ts), which Nx and tsx run directly. The published
// package carries the same files with every ./src/<x>.ts (or extensionless ./src/<x>) path
// pointing at ./dist/<x>.js instead, so nothing in the workspace has to change at pack time.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = dirname(dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const outDir = resolve(outIndex >= 0 ? args[outIndex + 1] : join(pkgDir, 'dist'));

/** ./src/a/b.ts and ./src/a/b -> ./dist/a/b.js (./dist/a/b for extensionless); .json stays .json. */
function toDist(path) {
  if (typeof path !== 'string' || !path.startsWith('./src/')) return path;
  const rest = path.slice('./src/'.length);
  if (rest.endsWith('.d.ts')) return `./dist/${rest}`;
  if (rest.endsWith('.ts')) return `./dist/${rest.slice(0, -3)}.js`;
  return `./dist/${rest}`;
}

function mapDeep(value, fn) {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapDeep(v, fn));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapDeep(v, fn)]));
  return value;
}

const readJson = (file) => JSON.parse(readFileSync(join(pkgDir, file), 'utf8'));
const stage = mkdtempSync(join(tmpdir(), 'veloiq-db-pack-'));
try {
  // Compile straight into the staging folder: the workspace's own dist/ is left as it was.
  const buildArgs = ['--out-dir', join(stage, 'dist')];
  execFileSync(process.execPath, [join(pkgDir, 'scripts/build.mjs'), ...buildArgs], { stdio: 'inherit' });
  const pkg = readJson('package.json');
  const published = { ...pkg };
  delete published.scripts;
  delete published.devDependencies;
  delete published.files;
  delete published.nx;
  published.main = toDist(pkg.main ?? './src/index.ts');
  published.types = published.main.replace(/\.js$/, '.d.ts');
  if (pkg.exports) {
    published.exports = mapDeep(pkg.exports, (p) => {
      const js = toDist(p);
      return js !== p && js.endsWith('.js') ? { types: js.replace(/\.js$/, '.d.ts'), default: js } : js;
    });
    // generators.json is read by Nx through the package too.
    if (typeof published.exports === 'object' && !published.exports['./generators.json'] && pkg.generators) {
      published.exports['./generators.json'] = './generators.json';
    }
  }
  writeFileSync(join(stage, 'package.json'), JSON.stringify(published, null, 2) + '\n');

  for (const manifest of ['executors.json', 'generators.json']) {
    if (!existsSync(join(pkgDir, manifest))) continue;
    const rewritten = mapDeep(readJson(manifest), toDist);
    writeFileSync(join(stage, manifest), JSON.stringify(rewritten, null, 2) + '\n');
  }
  if (existsSync(join(pkgDir, 'bin'))) cpSync(join(pkgDir, 'bin'), join(stage, 'bin'), { recursive: true });
  for (const file of ['README.md', 'LICENSE']) {
    if (existsSync(join(pkgDir, file))) cpSync(join(pkgDir, file), join(stage, file));
  }

  mkdirSync(outDir, { recursive: true });
  const output = execFileSync('npm', ['pack', stage, '--pack-destination', outDir, '--json', '--ignore-scripts'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [{ filename, entryCount, size }] = JSON.parse(output);
  console.log(`pack: ${entryCount} files, ${(size / 1024).toFixed(0)} kB`);
  console.log(join(outDir, filename));
} finally {
  rmSync(stage, { recursive: true, force: true });
}
