'use strict';
// In this workspace the TypeScript source runs (a dist/ left by a local build may be stale);
// an installed package ships only the compiled CLI.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const source = join(__dirname, '../src/cli/main.ts');
if (existsSync(source)) {
  require('../src/core/tsx-cache.js');
  require('tsx/cjs');
}
const { main } = require(existsSync(source) ? source : '../dist/cli/main.js');
main(process.argv.slice(2)).then((code) => process.exit(code));
