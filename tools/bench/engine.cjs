// Our engine called directly, with no Nx: what `nx run` adds on top is measured separately.
// Usage: node engine.cjs <commands dir> <upgrade|current> <project root> [--transaction-per-migration]
// (DATABASE_URL set)
// <commands dir> is an installed package's dist/commands, or this repository's src/commands
// (then run it with `node --import tsx`).
const { join } = require('node:path');

async function main() {
  const [commands, action, projectRoot, flag] = process.argv.slice(2);
  const options = { projectRoot, cwd: projectRoot, transactionPerMigration: flag === '--transaction-per-migration' };
  if (action === 'upgrade') {
    const result = await require(join(commands, 'upgrade')).upgrade(options);
    console.log(`applied ${result.applied.length}, now at ${result.current}`);
  } else {
    const result = await require(join(commands, 'current')).current(options);
    console.log(`at ${result.id}, head ${result.head}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
