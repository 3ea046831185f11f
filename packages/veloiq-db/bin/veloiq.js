'use strict';
// Runs the compiled CLI when the package is installed from a build, the TypeScript source in
// this workspace.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const compiled = join(__dirname, '../dist/cli/main.js');
if (!existsSync(compiled)) require('tsx/cjs');
const { main } = require(existsSync(compiled) ? compiled : '../src/cli/main.ts');
main(process.argv.slice(2)).then((code) => process.exit(code));
