'use strict';
// Runs `@veloiq/db:project` for many projects in one process (Nx's generator tree, as `nx g`
// uses it): `node scale-generate.cjs <workspace root> <project name>...`. Each project must have
// its project.json already. Run with the workspace's own nx and @veloiq/db.
const { createRequire } = require('node:module');
const { join } = require('node:path');

const [root, ...projects] = process.argv.slice(2);
const requireHere = createRequire(join(root, 'package.json'));
// Nx's package exports do not list its tree module: required by its path.
const { FsTree, flushChanges } = require(join(requireHere.resolve('nx/package.json'), '../dist/src/generators/tree.js'));
// The generator as `nx g @veloiq/db:project` finds it: through the package's generators.json.
const manifestPath = requireHere.resolve('@veloiq/db/generators.json');
const { factory } = require(manifestPath).generators.project;
const projectGenerator = require(join(manifestPath, '..', factory)).default;

(async () => {
  const tree = new FsTree(root, false);
  for (const project of projects) await projectGenerator(tree, { project });
  flushChanges(root, tree.listChanges());
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
