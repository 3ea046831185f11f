#!/usr/bin/env node
// Compiles src/ to dist/ (JavaScript + declarations) and copies the files the compiled code
// reads at run time (executor schemas, generator templates). `npm run build`.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = dirname(dirname(fileURLToPath(import.meta.url)));
const src = join(pkgDir, 'src');
// --out-dir DIR: compile somewhere else (the pack script builds straight into its staging
// folder, so packing never leaves a dist/ here for bin/veloiq.js to prefer over the sources).
const outIndex = process.argv.indexOf('--out-dir');
const dist = outIndex >= 0 ? resolve(process.argv[outIndex + 1]) : join(pkgDir, 'dist');

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(join(pkgDir, 'package.json')).resolve('typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', join(pkgDir, 'tsconfig.build.json'), '--outDir', dist], { stdio: 'inherit' });
} catch {
  console.error('build: tsc reported type errors (above).');
  process.exit(1);
}

let copied = 0;
(function copyAssets(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copyAssets(path);
    else if (!/\.ts$/.test(name)) {
      cpSync(path, join(dist, relative(src, path)));
      copied++;
    }
  }
})(src);
console.log(`build: compiled src/ to ${relative(process.cwd(), dist) || 'dist'}/ and copied ${copied} asset file(s)`);
